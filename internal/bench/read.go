package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/parashift-mock/parashift-mock/mockplatform"
	"github.com/parashift-mock/parashift-mock/mockplatform/clock"
)

// measureRead measures how many GET /v2/documents/{id} requests per
// second the platform serves to concurrent clients, with the request
// journal on, beside a bare net/http server whose handler writes the
// same response bytes. Both servers run in this process and get the
// same requests from the same number of clients through transports
// with the same settings, alternating in rounds.
func measureRead(ctx context.Context, cfg Config) (Sample, error) {
	p, err := mockplatform.Start(mockplatform.Options{Clock: clock.NewManual(epoch)})
	if err != nil {
		return Sample{}, fmt.Errorf("start platform: %w", err)
	}
	defer p.Close()
	doc, err := p.Upload(mockplatform.Upload{
		TenantID:     mockplatform.DefaultTenant,
		Name:         "sample.pdf",
		ExternalID:   "INV-2026-0001",
		CustomFields: map[string]any{"customer": "ACME AG"},
	})
	if err != nil {
		return Sample{}, fmt.Errorf("upload: %w", err)
	}
	// The document ends its workflow, so the response shows a type.
	if err := p.Advance(ctx, time.Minute); err != nil {
		return Sample{}, err
	}

	client := &http.Client{Transport: mockplatform.DeliveryTransport()}
	// Deferred last so it runs first: the platform's graceful shutdown
	// would wait up to 5 s for connections the client opened but never
	// used.
	defer client.CloseIdleConnections()
	mock := request{
		method: http.MethodGet,
		url:    p.URL() + "/v2/documents/" + strconv.FormatInt(doc.ID, 10),
		header: http.Header{"Authorization": {"Bearer " + mockplatform.DefaultToken}},
	}
	body, contentType, err := fetch(ctx, client, mock)
	if err != nil {
		return Sample{}, err
	}
	bare, err := startBare(body, contentType)
	if err != nil {
		return Sample{}, err
	}
	defer bare.close()
	baseline := mock
	baseline.url = bare.url + "/v2/documents/" + strconv.FormatInt(doc.ID, 10)

	warmup := cfg.warmup(cfg.Reads)
	for _, r := range []request{baseline, mock} {
		if _, err := load(ctx, client, r, http.StatusOK, warmup, cfg.Concurrency); err != nil {
			return Sample{}, fmt.Errorf("warm up: %w", err)
		}
	}
	var bareTime, mockTime, bareCPU, mockCPU time.Duration
	for _, n := range rounds(cfg.Reads) {
		cpu := processCPU()
		d, err := load(ctx, client, baseline, http.StatusOK, n, cfg.Concurrency)
		bareCPU += processCPU() - cpu
		if err != nil {
			return Sample{}, err
		}
		bareTime += d

		cpu = processCPU()
		d, err = load(ctx, client, mock, http.StatusOK, n, cfg.Concurrency)
		mockCPU += processCPU() - cpu
		if err != nil {
			return Sample{}, err
		}
		mockTime += d
	}
	return Sample{
		Value:    perSecond(cfg.Reads, mockTime),
		Baseline: perSecond(cfg.Reads, bareTime),
		Detail:   cpuDetail(mockCPU, bareCPU, cfg.Reads),
	}, nil
}

// fetch sends r once and returns the response body and Content-Type.
func fetch(ctx context.Context, client *http.Client, r request) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, nil)
	if err != nil {
		return nil, "", fmt.Errorf("build request: %w", err)
	}
	req.Header = r.header.Clone()
	resp, err := client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", fmt.Errorf("read %s: %w", r.url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("GET %s: status %d: %s", r.url, resp.StatusCode, body)
	}
	return body, resp.Header.Get("Content-Type"), nil
}

// bareServer is a net/http server on a loopback port whose handler
// writes one fixed response.
type bareServer struct {
	srv *http.Server
	url string
}

// startBare starts a server that responds to every request with
// status 200, the Content-Type and the body.
func startBare(body []byte, contentType string) (*bareServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the bare handler: %w", err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", contentType)
			w.WriteHeader(http.StatusOK)
			w.Write(body)
		}),
		// The platform's server sets the same timeout.
		ReadHeaderTimeout: 10 * time.Second,
	}
	go srv.Serve(ln)
	return &bareServer{srv: srv, url: "http://" + ln.Addr().String()}, nil
}

// close stops the server and closes its connections at once, as
// consumer.close does.
func (s *bareServer) close() {
	s.srv.Close()
}
