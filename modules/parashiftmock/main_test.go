package parashiftmock_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// Images that TestMain builds with scripts/build-images.sh. The
// examples name them as a team would name its own build.
const (
	mockImage     = "parashift-mock:dev"
	consumerImage = "parashift-mock-reference-consumer:dev"
)

// dockerErr is why Docker cannot be used, or nil when it can.
var dockerErr error

// TestMain builds the images once for the package's tests and
// examples. Without Docker the tests skip, and the examples, which
// cannot skip, are left out, unless CI=true, where a missing Docker is
// an error.
func TestMain(m *testing.M) {
	flag.Parse()
	setDefault("TESTCONTAINERS_RYUK_DISABLED", "true")
	setDefault("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1")

	dockerErr = dockerAvailable()
	if dockerErr == nil && !testing.Short() {
		if err := buildImages(); err != nil {
			fmt.Fprintf(os.Stderr, "build the images: %v\n", err)
			os.Exit(1)
		}
	}
	if dockerErr != nil && os.Getenv("CI") != "true" {
		// Examples have no Skip; a run pattern of tests only keeps
		// them out.
		if err := flag.Set("test.run", "^Test"); err != nil {
			fmt.Fprintf(os.Stderr, "set -test.run: %v\n", err)
			os.Exit(1)
		}
	}
	os.Exit(m.Run())
}

// setDefault sets an environment variable that is not set, so a value
// the caller set wins. Both testcontainers-go settings are needed where
// the reaper image cannot be pulled and the host detection picks an
// address that is not a test host.
func setDefault(name, value string) {
	if _, ok := os.LookupEnv(name); !ok {
		os.Setenv(name, value)
	}
}

// dockerAvailable returns nil when the Docker daemon responds to a ping.
func dockerAvailable() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return fmt.Errorf("docker client: %w", err)
	}
	defer cli.Close()
	if _, err := cli.Ping(ctx, client.PingOptions{}); err != nil {
		return fmt.Errorf("ping the Docker daemon: %w", err)
	}
	return nil
}

// requireDocker skips t when Docker is unavailable, and fails it
// instead when CI=true, because CI machines have Docker and a skip
// there would hide the container tests. -short skips it too, because
// the images are not built then.
func requireDocker(t *testing.T) {
	t.Helper()
	if dockerErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Docker is required with CI=true: %v", dockerErr)
		}
		t.Skipf("skipping: the container tests need a running Docker daemon: %v", dockerErr)
	}
	if testing.Short() {
		t.Skip("skipping in -short mode: the container tests build images and take about a minute")
	}
}

// buildImages runs scripts/build-images.sh with the test's image tags.
func buildImages() error {
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "..", "scripts", "build-images.sh")
	cmd := exec.Command("bash", script)
	cmd.Env = append(os.Environ(), "IMAGE="+mockImage, "CONSUMER_IMAGE="+consumerImage)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w\n%s", script, err, out)
	}
	return nil
}
