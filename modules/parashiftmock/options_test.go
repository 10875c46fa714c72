package parashiftmock_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"

	"github.com/parashift-mock/parashift-mock/mockplatform"
	"github.com/parashift-mock/parashift-mock/modules/parashiftmock"
)

// TestRunRejectsInvalidOptions needs no Docker: Run checks its options
// before it creates a container.
func TestRunRejectsInvalidOptions(t *testing.T) {
	consumer := "http://consumer:9000/webhooks"
	missing := filepath.Join(t.TempDir(), "missing.yaml")
	badConfig := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(badConfig, []byte("time_scale: fast\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts []testcontainers.ContainerCustomizer
		want string
	}{
		{"time scale too small", []testcontainers.ContainerCustomizer{parashiftmock.WithTimeScale(0)}, "factor 0 is out of range"},
		{"time scale too large", []testcontainers.ContainerCustomizer{parashiftmock.WithTimeScale(2e6)}, "factor 2e+06 is out of range"},
		{"manual and scaled", []testcontainers.ContainerCustomizer{parashiftmock.WithManualClock(), parashiftmock.WithTimeScale(10)}, "exclude each other"},
		{"subscription URL", []testcontainers.ContainerCustomizer{parashiftmock.WithSubscription(mockplatform.Subscription{URL: "consumer:9000"})}, "consumer:9000"},
		{"token with space", []testcontainers.ContainerCustomizer{parashiftmock.WithToken("a b", 1)}, `token "a b" is invalid`},
		{"tenant zero", []testcontainers.ContainerCustomizer{parashiftmock.WithToken("t", 0)}, "tenant 0 is invalid"},
		{"attempt timeout", []testcontainers.ContainerCustomizer{parashiftmock.WithAttemptTimeout(0)}, "timeout 0s is invalid"},
		{"config file missing", []testcontainers.ContainerCustomizer{parashiftmock.WithConfigFile(missing)}, "missing.yaml"},
		{"consumer URL", []testcontainers.ContainerCustomizer{parashiftmock.WithScenarios("consumer:9000")}, `consumer URL "consumer:9000" is invalid`},
		{"unknown scenario", []testcontainers.ContainerCustomizer{parashiftmock.WithScenarios(consumer, "happy-paths")}, `no built-in scenario is named "happy-paths"`},
		{"scenario file missing", []testcontainers.ContainerCustomizer{parashiftmock.WithScenarios(consumer, missing)}, "missing.yaml"},
		{"header without scenarios", []testcontainers.ContainerCustomizer{parashiftmock.WithConsumerHeader("Authorization", "Bearer x")}, "needs WithScenarios"},
		{"invalid header", []testcontainers.ContainerCustomizer{parashiftmock.WithScenarios(consumer), parashiftmock.WithConsumerHeader("Bad Name", "x")}, `header "Bad Name" is invalid`},
		{"scenarios with rule", []testcontainers.ContainerCustomizer{parashiftmock.WithScenarios(consumer), parashiftmock.WithRule(mockplatform.Rule{Fault: mockplatform.FaultDrop})}, "WithRule cannot be combined with WithScenarios"},
		{"negative scenario timeout", []testcontainers.ContainerCustomizer{parashiftmock.WithScenarios(consumer), parashiftmock.WithScenarioTimeout(-time.Second)}, "is negative"},
		{"invalid rule", []testcontainers.ContainerCustomizer{parashiftmock.WithRule(mockplatform.Rule{Fault: "explode"})}, "WithRule: "},
		{"invalid profile", []testcontainers.ContainerCustomizer{parashiftmock.WithProfile(mockplatform.Profile{Name: "bad name"})}, "WithProfile: "},
		{"default profile added after start", []testcontainers.ContainerCustomizer{parashiftmock.WithProfile(mockplatform.Profile{Name: "quick"}), parashiftmock.WithDefaultProfile("quick")}, `WithDefaultProfile("quick") names no built-in profile`},
		{"invalid config file", []testcontainers.ContainerCustomizer{parashiftmock.WithConfigFile(badConfig)}, "WithConfigFile: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctr, err := parashiftmock.Run(context.Background(), mockImage, tt.opts...)
			if ctr != nil {
				t.Errorf("Run returned a container for invalid options")
				testcontainers.CleanupContainer(t, ctr)
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Run error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestRunRejectsMissingImage(t *testing.T) {
	requireDocker(t)
	ctr, err := parashiftmock.Run(context.Background(), "parashift-mock:no-such-tag")
	if ctr != nil {
		testcontainers.CleanupContainer(t, ctr)
		t.Errorf("Run returned a container for a missing image")
	}
	if err == nil || !strings.Contains(err.Error(), `image "parashift-mock:no-such-tag" not found`) || !strings.Contains(err.Error(), "build-images.sh") {
		t.Errorf("Run error = %v, want one naming the image and the build script", err)
	}
}

func TestRunPublishesOnLoopbackOnly(t *testing.T) {
	requireDocker(t)
	ctx := context.Background()
	ctr, err := parashiftmock.Run(ctx, mockImage, testcontainers.WithLogger(tclog.TestLogger(t)))
	testcontainers.CleanupContainer(t, ctr)
	if err != nil {
		t.Fatal(err)
	}
	inspect, err := ctr.Inspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bindings := inspect.NetworkSettings.Ports
	if len(bindings) == 0 {
		t.Fatal("the container publishes no port")
	}
	for port, list := range bindings {
		for _, b := range list {
			if b.HostIP.String() != "127.0.0.1" {
				t.Errorf("port %s is published on %s:%s, want 127.0.0.1 only", port, b.HostIP, b.HostPort)
			}
		}
	}
	if err := ctr.Client().Health(ctx); err != nil {
		t.Errorf("Health through %s: %v", ctr.BaseURL(), err)
	}
}

func TestRunWithConfigFile(t *testing.T) {
	requireDocker(t)
	ctx := context.Background()
	config := filepath.Join("..", "..", "testdata", "config", "full.yaml")
	ctr, err := parashiftmock.Run(ctx, mockImage,
		testcontainers.WithLogger(tclog.TestLogger(t)),
		parashiftmock.WithConfigFile(config),
	)
	testcontainers.CleanupContainer(t, ctr)
	if err != nil {
		t.Fatal(err)
	}

	if ctr.Token() != "tenant-one-token" {
		t.Errorf("Token() = %q, want the file's first token, tenant-one-token", ctr.Token())
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ctr.APIURL()+"/documents", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+ctr.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s/documents with Token() = %d, want 200", ctr.APIURL(), resp.StatusCode)
	}

	subs, err := ctr.Client().Subscriptions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) == 0 {
		t.Errorf("the file's subscriptions are missing")
	}
}
