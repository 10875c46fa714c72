package mockplatform

import (
	"encoding/binary"
	"encoding/hex"
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"time"
)

// rng returns a generator drawn from the platform's seed and key alone,
// so a value depends on what it is for and not on the order in which
// concurrent work asked for it.
func (p *Platform) rng(key string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(key))
	return rand.New(rand.NewPCG(p.opts.Seed, h.Sum64()))
}

// jitter returns the jitter added to retry n of the event, uniform in
// [0, MaxJitter) with millisecond resolution.
func (p *Platform) jitter(eventID string, n int) time.Duration {
	r := p.rng("jitter/" + eventID + "/" + strconv.Itoa(n))
	return time.Duration(r.Int64N(MaxJitter.Milliseconds())) * time.Millisecond
}

// requestID returns the 32-hex-digit request_id of the event. Attempt 0
// gives the event's own id; attempts 2 and later give the per-attempt
// ids used when Options.RequestIDPerAttempt is set.
func (p *Platform) requestID(eventID string, attempt int) string {
	r := p.rng("request-id/" + eventID + "/" + strconv.Itoa(attempt))
	// Two big-endian words in hexadecimal, the same digits as
	// fmt.Sprintf("%016x%016x").
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], r.Uint64())
	binary.BigEndian.PutUint64(b[8:], r.Uint64())
	return hex.EncodeToString(b[:])
}
