package parashiftmock_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	tcnetwork "github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/parashift-mock/parashift-mock/assertions"
	"github.com/parashift-mock/parashift-mock/mockplatform"
	"github.com/parashift-mock/parashift-mock/mockplatform/controlapi"
	"github.com/parashift-mock/parashift-mock/modules/parashiftmock"
)

const webhookSecret = "hook-secret"

// testNetwork is a Docker bridge network with a subnet of its own, so
// containers can keep their addresses across a disconnect.
type testNetwork struct {
	*testcontainers.DockerNetwork
	prefix netip.Prefix
}

// addr returns the address with the given last byte in the network's
// /24 subnet.
func (n testNetwork) addr(host byte) string {
	a := n.prefix.Addr().As4()
	a[3] = host
	return netip.AddrFrom4(a).String()
}

// newTestNetwork creates a network on a free /24 subnet of 172.29.0.0/16
// and removes it when the test ends. Docker rejects a subnet that
// overlaps another network's, so it tries a few.
func newTestNetwork(t *testing.T, ctx context.Context) testNetwork {
	t.Helper()
	var lastErr error
	for _, third := range rand.Perm(250)[:8] {
		prefix := netip.MustParsePrefix(fmt.Sprintf("172.29.%d.0/24", third+1))
		nw, err := tcnetwork.New(ctx, tcnetwork.WithIPAM(&network.IPAM{
			Config: []network.IPAMConfig{{Subnet: prefix}},
		}))
		if err != nil {
			lastErr = err
			continue
		}
		t.Cleanup(func() {
			if err := nw.Remove(context.Background()); err != nil {
				t.Errorf("remove network %s: %v", nw.Name, err)
			}
		})
		return testNetwork{nw, prefix}
	}
	t.Fatalf("create a test network: %v", lastErr)
	return testNetwork{}
}

// onNetwork attaches a container to nw with a fixed address and alias.
func onNetwork(nw testNetwork, alias, addr string) testcontainers.CustomizeRequestOption {
	return func(req *testcontainers.GenericContainerRequest) error {
		if err := tcnetwork.WithNetwork([]string{alias}, nw.DockerNetwork)(req); err != nil {
			return err
		}
		ip := netip.MustParseAddr(addr)
		return testcontainers.WithEndpointSettingsModifier(func(settings map[string]*network.EndpointSettings) {
			settings[nw.Name].IPAMConfig = &network.EndpointIPAMConfig{IPv4Address: ip}
		})(req)
	}
}

// startConsumer starts the reference consumer on nw at addr, pointed at
// the platform at platformAddr.
func startConsumer(t *testing.T, ctx context.Context, nw testNetwork, addr, platformAddr string) *testcontainers.DockerContainer {
	t.Helper()
	api := "http://" + platformAddr + ":8080"
	ctr, err := testcontainers.Run(ctx, consumerImage,
		testcontainers.WithLogger(tclog.TestLogger(t)),
		onNetwork(nw, "consumer", addr),
		testcontainers.WithExposedPorts("9000/tcp"),
		testcontainers.WithHostConfigModifier(parashiftmock.PublishOnLoopback("9000/tcp")),
		testcontainers.WithCmd(
			"--api-url", api,
			"--token", parashiftmock.DefaultToken,
			"--webhook-secret", webhookSecret,
			"--effects-url", api+"/_mock/effects",
			"--overdue", "1s",
		),
		testcontainers.WithWaitStrategy(wait.ForHTTP("/healthz").WithPort("9000/tcp").WithStartupTimeout(30*time.Second)),
	)
	testcontainers.CleanupContainer(t, ctr)
	if err != nil {
		t.Fatalf("start the reference consumer: %v", err)
	}
	return ctr
}

// TestConsumerSurvivesNetworkOutage runs the platform and the reference
// consumer in containers on a network of the test's own, cuts the
// consumer off the network while documents flow, and reconnects it.
// The platform's retries fail during the outage and succeed after it,
// the consumer polls for the final webhooks a rule dropped, and the
// checks pass.
//
// Every URL uses an address instead of a name, so no lookup of a
// disconnected container's name leaves the test network for an
// upstream DNS server.
func TestConsumerSurvivesNetworkOutage(t *testing.T) {
	requireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	nw := newTestNetwork(t, ctx)
	mockAddr, consumerAddr := nw.addr(2), nw.addr(3)

	mock, err := parashiftmock.Run(ctx, mockImage,
		testcontainers.WithLogger(tclog.TestLogger(t)),
		onNetwork(nw, "mock", mockAddr),
		parashiftmock.WithTimeScale(100),
		parashiftmock.WithSeed(42),
		// An attempt that gets no response fails after 1 s, so the
		// retries run into the outage, not into a 10 s timeout.
		parashiftmock.WithAttemptTimeout(time.Second),
		parashiftmock.WithSubscription(mockplatform.Subscription{
			ID:      "consumer",
			URL:     "http://" + consumerAddr + ":9000/webhooks",
			Headers: map[string]string{"Authorization": "Bearer " + webhookSecret},
		}),
		parashiftmock.WithRule(mockplatform.Rule{
			ID:    "lose-final",
			Fault: mockplatform.FaultDrop,
			Match: mockplatform.Match{Topics: []mockplatform.Topic{mockplatform.TopicProcessingFinished}, ExternalID: "LOST-*"},
		}),
		parashiftmock.WithRule(mockplatform.Rule{
			ID:    "twice",
			Fault: mockplatform.FaultDuplicate,
			Match: mockplatform.Match{Topics: []mockplatform.Topic{mockplatform.TopicExtractionDone}},
		}),
		parashiftmock.WithRule(mockplatform.Rule{
			ID:     "busy",
			Fault:  mockplatform.FaultStatus,
			Status: 503,
			When:   mockplatform.When{First: 1},
		}),
	)
	testcontainers.CleanupContainer(t, mock)
	if err != nil {
		t.Fatalf("start the platform: %v", err)
	}
	consumer := startConsumer(t, ctx, nw, consumerAddr, mockAddr)
	c := mock.Client()

	docker, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		t.Fatalf("docker client: %v", err)
	}
	defer docker.Close()

	if _, err := docker.NetworkDisconnect(ctx, nw.ID, client.NetworkDisconnectOptions{Container: consumer.GetContainerID(), Force: true}); err != nil {
		t.Fatalf("disconnect the consumer: %v", err)
	}
	outage := time.Now()
	reached, err := c.CreateDocuments(ctx, mockplatform.ControlUpload{Count: 3, ExternalID: "OUTAGE-1"})
	if err != nil {
		t.Fatalf("create documents: %v", err)
	}
	lost, err := c.CreateDocuments(ctx, mockplatform.ControlUpload{Count: 2, ExternalID: "LOST-1"})
	if err != nil {
		t.Fatalf("create documents: %v", err)
	}

	// Keep the consumer off until every document's first webhook has
	// failed twice.
	waitFor(t, ctx, 60*time.Second, "two failed attempts of every document-received", func() (bool, error) {
		events, _, err := c.Events(ctx, controlapi.Filter{Topic: mockplatform.TopicDocumentReceived})
		if err != nil {
			return false, err
		}
		failed := 0
		for _, e := range events {
			if e.State == mockplatform.EventPending && e.Attempts >= 3 {
				failed++
			}
		}
		return failed == len(reached)+len(lost), nil
	})
	if _, err := docker.NetworkConnect(ctx, nw.ID, client.NetworkConnectOptions{
		Container: consumer.GetContainerID(),
		EndpointConfig: &network.EndpointSettings{
			Aliases:    []string{"consumer"},
			IPAMConfig: &network.EndpointIPAMConfig{IPv4Address: netip.MustParseAddr(consumerAddr)},
		},
	}); err != nil {
		t.Fatalf("reconnect the consumer: %v", err)
	}
	reconnected := time.Now()
	t.Logf("consumer was off the network for %s", reconnected.Sub(outage).Round(time.Millisecond))

	waitFor(t, ctx, 120*time.Second, "every event delivered or dropped", func() (bool, error) {
		events, _, err := c.Events(ctx, controlapi.Filter{})
		if err != nil {
			return false, err
		}
		for _, e := range events {
			if e.State == mockplatform.EventPending {
				return false, nil
			}
		}
		return len(events) > 0, nil
	})

	events, _, err := c.Events(ctx, controlapi.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if e.State == mockplatform.EventLost {
			t.Errorf("event %s was lost after %d attempts, want it delivered after the outage", e.ID, e.Attempts)
		}
	}
	deliveries, _, err := c.Deliveries(ctx, controlapi.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	failedByDoc := map[int64]int{}
	for _, d := range deliveries {
		if d.Outcome == mockplatform.OutcomeFailed && d.StatusCode == 0 && d.Error != "" {
			failedByDoc[d.DocumentID]++
		}
	}
	for _, d := range append(reached, lost...) {
		if failedByDoc[d.ID] == 0 {
			t.Errorf("document %d: the delivery journal shows no failed attempt without a response, want the outage's failures", d.ID)
		}
	}

	// The dropped final webhooks fired during the outage, and the
	// consumer could poll only after it heard of the documents once it
	// was back, so the poll deadline covers the outage and the retry
	// that ended it. Attempts that timed out during the outage show
	// nothing about how fast the consumer acks, so acks-fast judges the
	// attempts sent after the reconnect. Passing checks decide at the
	// end of checkCtx, which is the consumer's time to settle.
	checkCtx, checkCancel := context.WithTimeout(ctx, 10*time.Second)
	defer checkCancel()
	results := assertions.Require(t, checkCtx, assertions.FromControl(c),
		sentAfter{assertions.AcksFast{}, reconnected},
		assertions.PollsForLost{Deadline: 45 * time.Second},
		assertions.PollsPolitely{},
		assertions.RetriesPolitely{},
		assertions.Idempotent{},
	)
	for _, r := range results {
		t.Logf("%s: %s: %s", r.Check, r.Status, r.Summary)
	}
	for _, d := range lost {
		doc, err := c.Document(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if doc.Status != mockplatform.StatusDone {
			t.Errorf("document %d is %s, want done", d.ID, doc.Status)
		}
	}
}

// sentAfter judges only the deliveries sent at or after since.
type sentAfter struct {
	assertions.Check
	since time.Time
}

func (c sentAfter) Evaluate(rec assertions.Record, final bool) assertions.Result {
	kept := rec.Deliveries[:0:0]
	for _, d := range rec.Deliveries {
		if !d.Wall.Before(c.since) {
			kept = append(kept, d)
		}
	}
	rec.Deliveries = kept
	return c.Check.Evaluate(rec, final)
}

// waitFor calls cond every 200 ms until it returns true, and fails the
// test when it returns an error or timeout passes first.
func waitFor(t *testing.T, ctx context.Context, timeout time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil {
			t.Fatalf("wait for %s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
