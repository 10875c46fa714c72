package mockplatform

import (
	"encoding/binary"
	"encoding/hex"
	"hash/fnv"
	"math/bits"
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

// keyedPCG returns the source of p.rng(prefix + "/" + id + "/" +
// strconv.Itoa(n)) without building the key or allocating, for the
// values that every event and attempt draws.
func (p *Platform) keyedPCG(prefix, id string, n int) rand.PCG {
	var digits [20]byte
	h := uint64(fnvOffset64)
	h = fnvString(h, prefix)
	h = fnvString(h, "/")
	h = fnvString(h, id)
	h = fnvString(h, "/")
	for _, c := range strconv.AppendInt(digits[:0], int64(n), 10) {
		h = (h ^ uint64(c)) * fnvPrime64
	}
	var pcg rand.PCG
	pcg.Seed(p.opts.Seed, h)
	return pcg
}

// The parameters of 64-bit FNV-1a, as hash/fnv uses them.
const (
	fnvOffset64 = 14695981039346656037
	fnvPrime64  = 1099511628211
)

// fnvString continues the 64-bit FNV-1a hash h over the bytes of s.
func fnvString(h uint64, s string) uint64 {
	for i := range len(s) {
		h = (h ^ uint64(s[i])) * fnvPrime64
	}
	return h
}

// uniform returns a value in [0, n) from src, the one that
// rand.New(src).Uint64N(n) returns: the high word of a 128-bit
// product, with Lemire's rejection of the values that would favour
// some results.
func uniform(src *rand.PCG, n uint64) uint64 {
	if n&(n-1) == 0 {
		return src.Uint64() & (n - 1)
	}
	hi, lo := bits.Mul64(src.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(src.Uint64(), n)
		}
	}
	return hi
}

// jitter returns the jitter added to retry n of the event, uniform in
// [0, MaxJitter) with millisecond resolution.
func (p *Platform) jitter(eventID string, n int) time.Duration {
	src := p.keyedPCG("jitter", eventID, n)
	return time.Duration(uniform(&src, uint64(MaxJitter.Milliseconds()))) * time.Millisecond
}

// requestID returns the 32-hex-digit request_id of the event. Attempt 0
// gives the event's own id; attempts 2 and later give the per-attempt
// ids used when Options.RequestIDPerAttempt is set.
func (p *Platform) requestID(eventID string, attempt int) string {
	src := p.keyedPCG("request-id", eventID, attempt)
	// Two big-endian words in hexadecimal, the same digits as
	// fmt.Sprintf("%016x%016x").
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], src.Uint64())
	binary.BigEndian.PutUint64(b[8:], src.Uint64())
	return hex.EncodeToString(b[:])
}
