package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// defaultHealthURL is the health endpoint of serve with the container
// image's default flags, --addr 0.0.0.0:8080, seen from inside the
// container.
const defaultHealthURL = "http://127.0.0.1:8080/_mock/health"

// defaultHealthTimeout bounds one health check: connecting, sending
// the request and reading the response.
const defaultHealthTimeout = 5 * time.Second

// maxHealthBodyBytes is how much of an unexpected response body an
// error message shows.
const maxHealthBodyBytes = 200

// healthFlags are the flags of health.
type healthFlags struct {
	url     string
	timeout time.Duration
}

func newHealthFlags() (*flag.FlagSet, *healthFlags) {
	f := &healthFlags{}
	fs := flag.NewFlagSet("health", flag.ContinueOnError)
	fs.StringVar(&f.url, "url", defaultHealthURL, "absolute http or https `URL` of the platform's health endpoint")
	durationVar(fs, &f.timeout, "timeout", defaultHealthTimeout, "time limit of the whole check, as a `duration` such as 2s")
	return fs, f
}

// runHealth sends GET --url and returns nil, and so exit status 0, only
// for a 200 response. It is the container image's HEALTHCHECK, because
// an image built FROM scratch has no curl or wget.
func runHealth(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs, f := newHealthFlags()
	if help, err := parseFlags(fs, args, stdout); help || err != nil {
		return err
	}
	if err := validateHealthURL(f.url); err != nil {
		return err
	}
	if f.timeout <= 0 {
		return usagef("health", "invalid value %q for flag --timeout: use a positive duration such as 2s", f.timeout)
	}

	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	// The output goes to Docker's health log, so a password in the URL
	// is masked there.
	displayURL := redactURL(f.url)
	status, err := checkHealth(ctx, f.url)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("health check of %s failed: no complete response within %s: check whether the platform is stuck or overloaded, and raise --timeout if it is only slow", displayURL, f.timeout)
		}
		return fmt.Errorf("health check of %s failed: %w", displayURL, err)
	}
	fmt.Fprintf(stdout, "healthy: GET %s returned %s\n", displayURL, status)
	return nil
}

// validateHealthURL rejects a --url that is not an absolute http or
// https URL with a host.
func validateHealthURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("health", "invalid value %q for flag --url: use an absolute http or https URL, such as %s", raw, defaultHealthURL)
	}
	return nil
}

// checkHealth sends GET rawURL and returns the response status, or an
// error for a failed request or a status other than 200. It neither
// follows redirects nor uses a proxy from the environment, so only the
// endpoint itself can make the check pass.
func checkHealth(ctx context.Context, rawURL string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return "", err
	}
	transport := &http.Transport{Proxy: nil, DisableKeepAlives: true}
	defer transport.CloseIdleConnections()
	client := &http.Client{
		Transport:     transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}

	resp, err := client.Do(req)
	if err != nil {
		// The *url.Error repeats the method and URL, which the caller's
		// message already names.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return "", err
		}
		return "", fmt.Errorf("%w: check that parashift-mock serve is running and listens on this address, or pass its health URL with --url", err)
	}
	defer resp.Body.Close()

	body, readErr := io.ReadAll(io.LimitReader(resp.Body, maxHealthBodyBytes))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %s with body %q, want 200 OK: check that --url names the /_mock/health endpoint of parashift-mock serve", resp.Status, strings.TrimSpace(string(body)))
	}
	if readErr != nil {
		return "", fmt.Errorf("read the response body: %w", readErr)
	}
	return resp.Status, nil
}
