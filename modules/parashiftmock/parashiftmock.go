// Package parashiftmock starts the parashift-mock container image from
// Go tests with testcontainers-go, in the shape of the official
// testcontainers-go modules:
//
//	ctr, err := parashiftmock.Run(ctx, "parashift-mock:dev",
//		network.WithNetwork([]string{"mock"}, testNetwork),
//		parashiftmock.WithSubscription(mockplatform.Subscription{URL: "http://consumer:9000/webhooks"}),
//		parashiftmock.WithTimeScale(100),
//	)
//	testcontainers.CleanupContainer(t, ctr)
//
// Here "consumer" is the network alias of the service under test on
// testNetwork, a Docker network the test creates.
//
// The returned Container has the REST API's base URL, the control
// API's URL, the bearer token and a controlapi.Client, the same client
// that tests use against a platform in their own process, so one test
// can target either.
//
// A container runs in one of two modes. By default it runs "serve":
// the platform waits for documents and serves its APIs until the test
// terminates it. With WithScenarios it runs "run" instead: the platform
// plays scenarios against a consumer, Run returns when they are done,
// and ScenarioReport reads the verdicts.
//
// Run never pulls: build the image locally with
// scripts/build-images.sh, and Run returns an error naming the script
// when the image is missing. testcontainers-go needs two settings on
// machines where its reaper image cannot be pulled and its host
// detection picks an address that is not a test host:
// TESTCONTAINERS_RYUK_DISABLED=true and
// TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1. docs/container.md explains
// both.
package parashiftmock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/parashift-mock/parashift-mock/mockplatform"
	"github.com/parashift-mock/parashift-mock/mockplatform/controlapi"
	"github.com/parashift-mock/parashift-mock/scenarios"
)

// Port is the container port of the REST API and the control API.
const Port = "8080/tcp"

// Paths inside the container.
const (
	configPath   = "/etc/parashift-mock/config.yaml"
	scenarioDir  = "/etc/parashift-mock/scenarios"
	reportPath   = "/reports/report.json"
	startTimeout = 60 * time.Second
)

// DefaultScenarioTimeout is how long Run waits for a scenario-mode
// container to finish, unless WithScenarioTimeout sets another limit.
const DefaultScenarioTimeout = 10 * time.Minute

// Container is a running parashift-mock container.
type Container struct {
	*testcontainers.DockerContainer

	baseURL   string
	token     string
	client    *controlapi.Client
	scenarios bool
}

// BaseURL returns the address of the REST API and the control API as
// the test process reaches it, such as "http://127.0.0.1:32768". It is
// empty for a scenario-mode container, whose platform has stopped by
// the time Run returns.
func (c *Container) BaseURL() string { return c.baseURL }

// APIURL returns the REST API's base URL, BaseURL followed by /v2.
func (c *Container) APIURL() string { return c.baseURL + "/v2" }

// ControlURL returns the control API's base URL, BaseURL followed by
// /_mock.
func (c *Container) ControlURL() string { return c.baseURL + "/_mock" }

// Token returns the REST API's bearer token: the first WithToken, or
// the built-in development token.
func (c *Container) Token() string { return c.token }

// Client returns the control API client of the container's platform;
// nil for a scenario-mode container.
func (c *Container) Client() *controlapi.Client { return c.client }

// Run starts a container of img and waits until its health endpoint
// responds with 200, or, with WithScenarios, until its scenarios are done. Then
// it adds the profiles, subscriptions and rules of the options through
// the control API. opts may mix this package's options with any
// testcontainers.ContainerCustomizer, such as network.WithNetwork;
// those come after the module's defaults and can override them.
//
// When Run returns an error after the container was created, it still
// returns the container, so the caller can terminate it.
func Run(ctx context.Context, img string, opts ...testcontainers.ContainerCustomizer) (*Container, error) {
	var o options
	for _, opt := range opts {
		if apply, ok := opt.(Option); ok {
			if err := apply(&o); err != nil {
				return nil, fmt.Errorf("parashiftmock: %w", err)
			}
		}
	}
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("parashiftmock: %w", err)
	}

	defaults, err := o.customizers()
	if err != nil {
		return nil, fmt.Errorf("parashiftmock: %w", err)
	}
	if err := requireLocalImage(ctx, img); err != nil {
		return nil, fmt.Errorf("parashiftmock: %w", err)
	}
	ctr, err := testcontainers.Run(ctx, img, append(defaults, opts...)...)
	var c *Container
	if ctr != nil {
		c = &Container{DockerContainer: ctr, token: o.token(), scenarios: o.scenarioMode()}
	}
	if err != nil {
		if o.scenarioMode() && errors.Is(err, context.DeadlineExceeded) {
			return c, fmt.Errorf("parashiftmock: run %s: the scenarios did not end within the scenario timeout (WithScenarioTimeout, default %s) or the context's deadline: %w", img, DefaultScenarioTimeout, err)
		}
		return c, fmt.Errorf("parashiftmock: run %s: %w", img, err)
	}
	if o.scenarioMode() {
		return c, nil
	}

	c.baseURL, err = ctr.PortEndpoint(ctx, Port, "http")
	if err != nil {
		return c, fmt.Errorf("parashiftmock: address of port %s: %w", Port, err)
	}
	c.client, err = controlapi.New(c.baseURL)
	if err != nil {
		return c, fmt.Errorf("parashiftmock: %w", err)
	}
	if err := o.configure(ctx, c.client); err != nil {
		return c, fmt.Errorf("parashiftmock: %w", err)
	}
	return c, nil
}

// requireLocalImage returns an error unless img exists in the Docker
// daemon's image store. The module never pulls: the image is built
// locally from the static binary, and a misspelt tag would otherwise
// make testcontainers-go ask a registry for it.
//
// NOTE: a hub image name prefix (TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX),
// testcontainers.WithAlwaysPull or an image substitutor in opts
// changes the name after this check, and testcontainers-go then pulls.
func requireLocalImage(ctx context.Context, img string) error {
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return fmt.Errorf("docker client: %w", err)
	}
	defer cli.Close()
	if _, err := cli.ImageInspect(ctx, img); err != nil {
		if errdefs.IsNotFound(err) {
			return fmt.Errorf("image %q not found in the Docker daemon: build it with scripts/build-images.sh (IMAGE=%s to choose the tag); the module never pulls images", img, img)
		}
		return fmt.Errorf("inspect image %q: %w", img, err)
	}
	return nil
}

// customizers returns the module's defaults for the container request:
// command, port, files and wait strategy.
func (o *options) customizers() ([]testcontainers.ContainerCustomizer, error) {
	files, err := o.files()
	if err != nil {
		return nil, err
	}
	var waitFor wait.Strategy = wait.ForHTTP("/_mock/health").WithPort(Port).WithStartupTimeout(startTimeout)
	if o.scenarioMode() {
		timeout := o.scenarioTimeout
		if timeout == 0 {
			timeout = DefaultScenarioTimeout
		}
		waitFor = wait.ForExit().WithExitTimeout(timeout)
	}
	out := []testcontainers.ContainerCustomizer{
		testcontainers.WithExposedPorts(Port),
		testcontainers.WithHostConfigModifier(PublishOnLoopback(Port)),
		testcontainers.WithCmd(o.command()...),
		testcontainers.WithWaitStrategy(waitFor),
	}
	if len(files) > 0 {
		out = append(out, testcontainers.WithFiles(files...))
	}
	return out, nil
}

// PublishOnLoopback returns a host configuration change that publishes
// each container port on a random port of the host's 127.0.0.1 only.
// testcontainers-go publishes exposed ports on every interface of the
// host by default, which lets other hosts reach the mock's unauthenticated
// control API. Pass it to testcontainers.WithHostConfigModifier for the
// containers that run beside the mock, such as the service under test.
func PublishOnLoopback(ports ...string) func(*container.HostConfig) {
	return func(hc *container.HostConfig) {
		if hc.PortBindings == nil {
			hc.PortBindings = network.PortMap{}
		}
		for _, p := range ports {
			hc.PortBindings[network.MustParsePort(p)] = []network.PortBinding{{HostIP: netip.MustParseAddr("127.0.0.1")}}
		}
	}
}

// command returns the container's arguments after the entrypoint.
func (o *options) command() []string {
	if o.scenarioMode() {
		cmd := []string{"run", "--addr", "0.0.0.0:8080", "--consumer", o.consumerURL, "--json", reportPath}
		for _, h := range o.consumerHeaders {
			cmd = append(cmd, "--header", h)
		}
		for _, s := range o.scenarioArgs() {
			cmd = append(cmd, "--scenario", s)
		}
		if o.seed != nil {
			cmd = append(cmd, "--seed", strconv.FormatUint(*o.seed, 10))
		}
		return cmd
	}
	cmd := []string{"serve", "--addr", "0.0.0.0:8080"}
	if o.configFile != "" {
		cmd = append(cmd, "--config", configPath)
	}
	for _, t := range o.tokens {
		cmd = append(cmd, "--token", t.token+"="+strconv.FormatInt(t.tenant, 10))
	}
	switch {
	case o.manualClock:
		cmd = append(cmd, "--clock", "manual")
	case o.timeScale != 0:
		cmd = append(cmd, "--time-scale", strconv.FormatFloat(o.timeScale, 'g', -1, 64))
	}
	if o.seed != nil {
		cmd = append(cmd, "--seed", strconv.FormatUint(*o.seed, 10))
	}
	if o.defaultProfile != "" {
		cmd = append(cmd, "--default-profile", o.defaultProfile)
	}
	if o.requestIDPerAttempt {
		cmd = append(cmd, "--request-id", "per-attempt")
	}
	if o.attemptTimeout != 0 {
		cmd = append(cmd, "--attempt-timeout", o.attemptTimeout.String())
	}
	return cmd
}

// files returns the files copied into the container before it starts.
func (o *options) files() ([]testcontainers.ContainerFile, error) {
	var files []testcontainers.ContainerFile
	if o.configFile != "" {
		files = append(files, testcontainers.ContainerFile{HostFilePath: o.configFile, ContainerFilePath: configPath, FileMode: 0o644})
	}
	for _, s := range o.scenarios {
		if !s.file {
			continue
		}
		files = append(files, testcontainers.ContainerFile{HostFilePath: s.value, ContainerFilePath: s.containerPath(), FileMode: 0o644})
	}
	if o.scenarioMode() {
		// The image runs as a non-root user that cannot create files
		// outside its home, so the report file is created here,
		// writable by that user.
		files = append(files, testcontainers.ContainerFile{Reader: strings.NewReader(""), ContainerFilePath: reportPath, FileMode: 0o666})
	}
	return files, nil
}

// configure adds the profiles, subscriptions and rules through the
// control API, in that order, because subscriptions and rules may name
// profiles and subscriptions.
func (o *options) configure(ctx context.Context, c *controlapi.Client) error {
	for _, p := range o.profiles {
		if _, err := c.AddProfile(ctx, p); err != nil {
			return fmt.Errorf("add profile %q: %w", p.Name, err)
		}
	}
	for _, s := range o.subscriptions {
		if _, err := c.AddSubscription(ctx, s); err != nil {
			return fmt.Errorf("add subscription to %s: %w", s.URL, err)
		}
	}
	for _, r := range o.rules {
		if _, err := c.AddRule(ctx, r); err != nil {
			return fmt.Errorf("add rule %q: %w", r.ID, err)
		}
	}
	return nil
}

// ScenarioReport is the outcome of a scenario-mode container.
type ScenarioReport struct {
	// ExitCode is the container's exit status: 0 when every check
	// passed, 1 when a check failed or a scenario could not run, 2 for
	// an invalid command line or scenario file.
	ExitCode int
	// Passed is set when every scenario passed.
	Passed bool
	// Reports has one report per scenario, in the order they ran.
	Reports []scenarios.Report
}

// ScenarioReport reads the verdicts of a scenario-mode container after
// Run has returned. For a failed run it returns the report together
// with an error that counts the scenarios that did not pass.
func (c *Container) ScenarioReport(ctx context.Context) (*ScenarioReport, error) {
	if !c.scenarios {
		return nil, errors.New("parashiftmock: ScenarioReport needs a container started with WithScenarios")
	}
	state, err := c.State(ctx)
	if err != nil {
		return nil, fmt.Errorf("parashiftmock: container state: %w", err)
	}
	if state.Running {
		return nil, errors.New("parashiftmock: the scenarios are still running, because Run stopped waiting for them: give WithScenarioTimeout a longer limit")
	}

	rc, err := c.CopyFileFromContainer(ctx, reportPath)
	if err != nil {
		return nil, fmt.Errorf("parashiftmock: copy %s from the container: %w", reportPath, err)
	}
	defer rc.Close()
	raw, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("parashiftmock: read %s: %w", reportPath, err)
	}

	out := &ScenarioReport{ExitCode: state.ExitCode}
	if len(raw) == 0 {
		return out, fmt.Errorf("parashiftmock: the container exited with status %d without a report: its logs say why", state.ExitCode)
	}
	var doc struct {
		Passed    bool               `json:"passed"`
		Scenarios []scenarios.Report `json:"scenarios"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return out, fmt.Errorf("parashiftmock: decode %s: %w", reportPath, err)
	}
	// Report encodes its Duration as duration_seconds, which its
	// fields do not read back.
	var durations struct {
		Scenarios []struct {
			Seconds float64 `json:"duration_seconds"`
		} `json:"scenarios"`
	}
	if err := json.Unmarshal(raw, &durations); err != nil {
		return out, fmt.Errorf("parashiftmock: decode %s: %w", reportPath, err)
	}
	for i := range doc.Scenarios {
		if i < len(durations.Scenarios) {
			// The report writes seconds with millisecond precision.
			doc.Scenarios[i].Duration = time.Duration(math.Round(durations.Scenarios[i].Seconds*1000)) * time.Millisecond
		}
	}
	out.Passed, out.Reports = doc.Passed, doc.Scenarios
	if !out.Passed {
		t := scenarios.Sum(out.Reports)
		return out, fmt.Errorf("parashiftmock: %d of %d scenarios did not pass (%d failed, %d errors)", t.Failed+t.Errors, t.Scenarios, t.Failed, t.Errors)
	}
	return out, nil
}

// scenarioRef is one argument of WithScenarios: a built-in scenario's
// name or a file on the test's machine.
type scenarioRef struct {
	value string
	file  bool
	index int
}

// containerPath returns where a scenario file is copied. The index
// keeps files of the same name in different folders apart.
func (s scenarioRef) containerPath() string {
	return path.Join(scenarioDir, strconv.Itoa(s.index), filepath.Base(s.value))
}

func (o *options) scenarioArgs() []string {
	out := make([]string, len(o.scenarios))
	for i, s := range o.scenarios {
		out[i] = s.value
		if s.file {
			out[i] = s.containerPath()
		}
	}
	return out
}

// DefaultToken is the bearer token of tenant 1 when no WithToken is
// given.
const DefaultToken = mockplatform.DefaultToken
