package mockplatform

import (
	"strconv"
	"testing"
)

// TestKeyedDrawsMatchRNG checks that jitter and requestID draw the
// values that rng gives for their keys, so journals of a seed stay the
// same whichever way a value is drawn.
func TestKeyedDrawsMatchRNG(t *testing.T) {
	for _, seed := range []uint64{0, 1, 42, 1 << 63} {
		p := &Platform{opts: Options{Seed: seed}}
		for doc := range 200 {
			id := strconv.Itoa(100000+doc) + ".wh-1.processing-finished"
			for n := range 10 {
				key := id + "/" + strconv.Itoa(n)
				want := p.rng("jitter/" + key).Int64N(MaxJitter.Milliseconds())
				if got := p.jitter(id, n).Milliseconds(); got != want {
					t.Fatalf("seed %d: jitter(%q, %d) = %d ms, want %d ms", seed, id, n, got, want)
				}
				r := p.rng("request-id/" + key)
				first, second := r.Uint64(), r.Uint64()
				src := p.keyedPCG("request-id", id, n)
				if got1, got2 := src.Uint64(), src.Uint64(); got1 != first || got2 != second {
					t.Fatalf("seed %d: keyedPCG(request-id, %q, %d) = %x %x, want %x %x", seed, id, n, got1, got2, first, second)
				}
			}
		}
	}
}

// TestUniformMatchesRand checks uniform against rand.Rand.Uint64N for
// bounds that are powers of two, bounds that reject often, and the
// jitter's bound.
func TestUniformMatchesRand(t *testing.T) {
	p := &Platform{opts: Options{Seed: 7}}
	bounds := []uint64{1, 2, 3, 1024, 30000, 1<<63 + 1, 3 << 62, 1<<64 - 1}
	for _, n := range bounds {
		for i := range 500 {
			id := strconv.Itoa(i)
			want := p.rng("b/" + id + "/0").Uint64N(n)
			src := p.keyedPCG("b", id, 0)
			if got := uniform(&src, n); got != want {
				t.Fatalf("uniform(n=%d) for key %q = %d, want %d", n, id, got, want)
			}
		}
	}
}
