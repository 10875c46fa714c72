package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// Program is the parashift-mock executable that the start-up
// measurement starts, with the arguments and environment it needs.
type Program struct {
	// Path is the executable.
	Path string
	// Args come before the subcommand, such as the flags that make a
	// test binary act as the program.
	Args []string
	// Env is added to the environment of each process.
	Env []string
}

func (p Program) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, p.Path, append(slices.Clone(p.Args), args...)...)
	cmd.Env = append(os.Environ(), p.Env...)
	// A process that ignores the interrupt is killed after this long.
	cmd.WaitDelay = 10 * time.Second
	return cmd
}

// startupTimeout bounds one start of serve, from exec to a ready
// health endpoint.
const startupTimeout = 30 * time.Second

// measureStartup measures the time from starting `serve --addr
// 127.0.0.1:0` to the first 200 from its /_mock/health, the median
// over cfg.StartupRuns processes, in milliseconds. The baseline is
// the median time of `version` from start to exit, which is what
// starting any process of the program costs.
func measureStartup(ctx context.Context, cfg Config) (Sample, error) {
	if cfg.Program == nil {
		return Sample{}, errors.New("no program to start: Config.Program is nil")
	}
	var ready, exited []time.Duration
	for range cfg.StartupRuns {
		d, err := startServe(ctx, *cfg.Program)
		if err != nil {
			return Sample{}, err
		}
		ready = append(ready, d)
		d, err = runVersion(ctx, *cfg.Program)
		if err != nil {
			return Sample{}, err
		}
		exited = append(exited, d)
	}
	slices.Sort(ready)
	return Sample{
		Value:    milliseconds(medianDuration(ready)),
		Baseline: milliseconds(medianDuration(exited)),
		Detail:   fmt.Sprintf("%s of serve, from %.1f to %.1f ms", count(len(ready), "start"), milliseconds(ready[0]), milliseconds(ready[len(ready)-1])),
	}, nil
}

// startServe starts serve on a free loopback port and returns the
// time from the start of the process to the first 200 from its health
// endpoint. It interrupts the process and waits for it to exit before
// returning.
func startServe(ctx context.Context, prog Program) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, startupTimeout)
	defer cancel()
	cmd := prog.command(ctx, "serve", "--addr", "127.0.0.1:0", "--log-level", "error")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, fmt.Errorf("serve: %w", err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start %s serve: %w", prog.Path, err)
	}
	defer stop(cmd)
	base, err := readBaseURL(stdout)
	if err != nil {
		return 0, fmt.Errorf("serve: %w; stderr: %s", err, stderr.Bytes())
	}
	if err := awaitHealth(ctx, base+"/_mock/health"); err != nil {
		return 0, fmt.Errorf("serve: %w", err)
	}
	elapsed := time.Since(start)
	// The ready block has been read; the rest is discarded so that a
	// full pipe cannot stall the process.
	go io.Copy(io.Discard, stdout)
	return elapsed, nil
}

// readBaseURL returns the URL of the "base URL:" line that serve
// prints when it listens.
func readBaseURL(stdout io.Reader) (string, error) {
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if _, url, ok := strings.Cut(sc.Text(), "base URL:"); ok {
			return strings.TrimSpace(url), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("read the ready block: %w", err)
	}
	return "", errors.New(`exited before it printed its "base URL:" line`)
}

// awaitHealth requests url until the response has status 200 or ctx
// is done.
func awaitHealth(ctx context.Context, url string) error {
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("build health request: %w", err)
		}
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("GET %s: no 200 before the deadline: %w", url, context.Cause(ctx))
		case <-time.After(time.Millisecond):
		}
	}
}

// stop interrupts cmd, as Ctrl+C would, and waits for it to exit. It
// kills cmd where an interrupt cannot be sent, such as on Windows.
func stop(cmd *exec.Cmd) {
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		cmd.Process.Kill()
	}
	_ = cmd.Wait() // an interrupted serve exits with status 0, a killed one with an error
}

// runVersion returns the time from the start of `version` to its exit.
func runVersion(ctx context.Context, prog Program) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, startupTimeout)
	defer cancel()
	cmd := prog.command(ctx, "version")
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("%s version: %w: %s", prog.Path, err, out)
	}
	return time.Since(start), nil
}

func medianDuration(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func milliseconds(d time.Duration) float64 {
	return float64(d) / float64(time.Millisecond)
}
