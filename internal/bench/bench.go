// Package bench measures the platform's speed and memory beside
// baselines that do the same work without the platform. It compares
// webhook delivery and REST API read throughput with plain net/http
// clients and handlers, and a retry schedule on the manual clock with
// the same requests sent directly. It also measures the heap per
// document and the time from process start to a ready health
// endpoint.
//
// Each measurement runs in the calling process, on the same machine as
// its baseline, so the ratio between the two is the figure to compare
// across machines; the absolute numbers depend on the hardware.
package bench

import (
	"context"
	"fmt"
	"runtime"
	"slices"
)

// Config sets the sizes of the measurements. The zero value of a count
// means its default.
type Config struct {
	// Deliveries is the number of webhook deliveries measured, and the
	// number of plain client requests of the baseline.
	Deliveries int `json:"deliveries"`
	// Reads is the number of GET /v2/documents/{id} requests measured,
	// and the number of requests to the bare handler.
	Reads int `json:"reads"`
	// Concurrency is the number of client goroutines of the plain
	// client loads and of the REST API readers.
	Concurrency int `json:"concurrency"`
	// VirtualDocuments is the number of documents whose webhooks fail
	// through the whole retry schedule on the manual clock.
	VirtualDocuments int `json:"virtual_documents"`
	// MemoryDocuments is the number of documents whose heap is
	// measured.
	MemoryDocuments int `json:"memory_documents"`
	// StartupRuns is the number of processes started to measure the
	// start-up time.
	StartupRuns int `json:"startup_runs"`
	// Program starts the parashift-mock program for the start-up
	// measurement. Nil skips that measurement.
	Program *Program `json:"-"`
}

// The defaults of Config.
const (
	DefaultDeliveries       = 100_000
	DefaultReads            = 100_000
	DefaultConcurrency      = 64
	DefaultVirtualDocuments = 10_000
	DefaultMemoryDocuments  = 100_000
	DefaultStartupRuns      = 10
)

func (c Config) withDefaults() Config {
	set := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	set(&c.Deliveries, DefaultDeliveries)
	set(&c.Reads, DefaultReads)
	set(&c.Concurrency, DefaultConcurrency)
	set(&c.VirtualDocuments, DefaultVirtualDocuments)
	set(&c.MemoryDocuments, DefaultMemoryDocuments)
	set(&c.StartupRuns, DefaultStartupRuns)
	return c
}

// warmup returns the number of requests that open connections and
// warm caches before a load of n is timed.
func (c Config) warmup(n int) int {
	return max(1, min(n/10, 5_000))
}

// Sample is one run of one measurement.
type Sample struct {
	// Value is the platform's figure.
	Value float64 `json:"value"`
	// Baseline is the figure of the same work done without the
	// platform; zero when the measurement has none.
	Baseline float64 `json:"baseline,omitempty"`
	// Detail states what else the run found, such as the spread of
	// the retry schedule.
	Detail string `json:"detail,omitempty"`
}

// Ratio returns Value/Baseline, or zero without a baseline.
func (s Sample) Ratio() float64 {
	if s.Baseline == 0 {
		return 0
	}
	return s.Value / s.Baseline
}

// Figure is the result of one measurement over every run.
type Figure struct {
	Name string `json:"name"`
	// Unit is the unit of Value and Baseline, such as requests/s.
	Unit string `json:"unit"`
	// BaselineName describes the work of the baseline.
	BaselineName string `json:"baseline_name,omitempty"`
	// Value, Baseline and Ratio are medians over the runs.
	Value    float64 `json:"value"`
	Baseline float64 `json:"baseline,omitempty"`
	Ratio    float64 `json:"ratio,omitempty"`
	// Spread is the smallest and the largest figure that Target
	// judges, over the runs.
	Spread [2]float64 `json:"spread"`
	// Target is the condition that the figure must meet, such as
	// "ratio >= 0.80". JudgesRatio reports whether it applies to Ratio
	// or to Value.
	Target      string `json:"target"`
	JudgesRatio bool   `json:"judges_ratio"`
	Pass        bool   `json:"pass"`
	// Samples are the runs in order.
	Samples []Sample `json:"samples"`
}

// Report is the outcome of Run.
type Report struct {
	GoVersion string   `json:"go_version"`
	OS        string   `json:"os"`
	Arch      string   `json:"arch"`
	CPUs      int      `json:"cpus"`
	Runs      int      `json:"runs"`
	Config    Config   `json:"config"`
	Figures   []Figure `json:"figures"`
}

// Pass reports whether every figure met its target.
func (r Report) Pass() bool {
	for _, f := range r.Figures {
		if !f.Pass {
			return false
		}
	}
	return true
}

// measurement is one of the figures Run measures.
type measurement struct {
	name, unit, baselineName string
	// target is the condition on the ratio, or on the value when there
	// is no baseline or onValue is set.
	target  condition
	onValue bool
	measure func(context.Context, Config) (Sample, error)
}

// judgesRatio reports whether the target applies to the ratio.
func (m measurement) judgesRatio() bool { return m.baselineName != "" && !m.onValue }

// condition is a bound that a figure must meet.
type condition struct {
	holds func(float64) bool
	text  string
}

func atLeast(bound float64, text string) condition {
	return condition{func(v float64) bool { return v >= bound }, text}
}

func atMost(bound float64, text string) condition {
	return condition{func(v float64) bool { return v <= bound }, text}
}

func below(bound float64, text string) condition {
	return condition{func(v float64) bool { return v < bound }, text}
}

// Run runs every measurement runs times and returns the medians. A
// progress line goes to progress, if it is not nil, before each
// measurement.
func Run(ctx context.Context, cfg Config, runs int, progress func(string)) (Report, error) {
	cfg = cfg.withDefaults()
	if runs < 1 {
		runs = 1
	}
	rep := Report{
		GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH,
		CPUs: runtime.NumCPU(), Runs: runs, Config: cfg,
	}
	ms := measurements(cfg)
	samples := make([][]Sample, len(ms))
	for run := range runs {
		for i, m := range ms {
			if progress != nil {
				progress(fmt.Sprintf("run %d/%d: %s", run+1, runs, m.name))
			}
			s, err := m.measure(ctx, cfg)
			if err != nil {
				return rep, fmt.Errorf("%s: %w", m.name, err)
			}
			samples[i] = append(samples[i], s)
		}
	}
	for i, m := range ms {
		rep.Figures = append(rep.Figures, summarize(m, samples[i]))
	}
	return rep, nil
}

// summarize returns the figure of m over its samples.
func summarize(m measurement, samples []Sample) Figure {
	f := Figure{
		Name: m.name, Unit: m.unit, BaselineName: m.baselineName,
		Target: m.target.text, JudgesRatio: m.judgesRatio(), Samples: samples,
	}
	judged := make([]float64, len(samples))
	for i, s := range samples {
		judged[i] = s.Value
		if f.JudgesRatio {
			judged[i] = s.Ratio()
		}
	}
	f.Value = median(samples, func(s Sample) float64 { return s.Value })
	if m.baselineName != "" {
		f.Baseline = median(samples, func(s Sample) float64 { return s.Baseline })
		f.Ratio = median(samples, Sample.Ratio)
	}
	f.Spread = [2]float64{slices.Min(judged), slices.Max(judged)}
	if f.JudgesRatio {
		f.Pass = m.target.holds(f.Ratio)
	} else {
		f.Pass = m.target.holds(f.Value)
	}
	return f
}

// median returns the median of value over samples; for an even count,
// the mean of the middle two.
func median(samples []Sample, value func(Sample) float64) float64 {
	vs := make([]float64, len(samples))
	for i, s := range samples {
		vs[i] = value(s)
	}
	slices.Sort(vs)
	n := len(vs)
	if n%2 == 1 {
		return vs[n/2]
	}
	return (vs[n/2-1] + vs[n/2]) / 2
}

// measurements lists the measurements in report order.
func measurements(cfg Config) []measurement {
	ms := []measurement{
		{
			name: "webhook delivery", unit: "requests/s",
			baselineName: "plain clients, same bytes and server",
			target:       atLeast(0.8, "ratio >= 0.80"),
			measure:      measureDelivery,
		},
		{
			name: "REST API read", unit: "requests/s",
			baselineName: "bare handler, same bytes and server",
			target:       atLeast(0.8, "ratio >= 0.80"),
			measure:      measureRead,
		},
		{
			name: "virtual time, 17 h of retries", unit: "s",
			baselineName: "plain client, same requests one at a time",
			target:       atMost(1.25, "ratio <= 1.25"),
			measure:      measureVirtual,
		},
		{
			name: "heap per document, journals capped", unit: "B",
			target:  below(2048, "< 2048 B"),
			measure: measureMemoryCapped,
		},
		{
			name: "heap per document, journals in full", unit: "B",
			target:  atMost(MemoryBound, fmt.Sprintf("<= %d B", MemoryBound)),
			measure: measureMemoryFull,
		},
	}
	if cfg.Program != nil {
		ms = append(ms, measurement{
			name: "start-up to a ready health endpoint", unit: "ms",
			baselineName: "version, start to exit",
			target:       below(50, "< 50 ms"), onValue: true,
			measure: measureStartup,
		})
	}
	return ms
}
