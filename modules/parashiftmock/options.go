package parashiftmock

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/testcontainers/testcontainers-go"

	"github.com/parashift-mock/parashift-mock/mockplatform"
	"github.com/parashift-mock/parashift-mock/scenarios"
)

// Option configures the platform in the container. It implements
// testcontainers.ContainerCustomizer, so Run takes it beside the
// library's own customizers; its Customize does nothing, and Run
// applies it separately.
type Option func(*options) error

// Customize implements testcontainers.ContainerCustomizer.
func (Option) Customize(*testcontainers.GenericContainerRequest) error { return nil }

type token struct {
	token  string
	tenant int64
}

type options struct {
	subscriptions       []mockplatform.Subscription
	rules               []mockplatform.Rule
	profiles            []mockplatform.Profile
	tokens              []token
	timeScale           float64
	manualClock         bool
	seed                *uint64
	defaultProfile      string
	requestIDPerAttempt bool
	attemptTimeout      time.Duration
	configFile          string
	// configTokens and configProfiles are what the configuration file
	// sets, read on the test's machine.
	configTokens   []mockplatform.TenantToken
	configProfiles []mockplatform.Profile

	consumerURL     string
	consumerHeaders []string
	scenarios       []scenarioRef
	scenarioTimeout time.Duration
}

// WithSubscription adds a webhook subscription once the platform is
// up. Its URL is resolved inside the container: use the consumer's
// network alias on a Docker network the test creates, such as
// http://consumer:9000/webhooks, not 127.0.0.1.
func WithSubscription(s mockplatform.Subscription) Option {
	return func(o *options) error {
		if err := s.Validate(); err != nil {
			return fmt.Errorf("WithSubscription: %w", err)
		}
		o.subscriptions = append(o.subscriptions, s)
		return nil
	}
}

// WithRule adds a fault rule once the platform is up, after the
// subscriptions, so it may name them. docs/faults.md lists the faults.
func WithRule(r mockplatform.Rule) Option {
	return func(o *options) error {
		if err := r.Validate(); err != nil {
			return fmt.Errorf("WithRule: %w", err)
		}
		o.rules = append(o.rules, r)
		return nil
	}
}

// WithProfile adds a workflow profile, or replaces the built-in one of
// the same name, once the platform is up.
func WithProfile(p mockplatform.Profile) Option {
	return func(o *options) error {
		if err := p.Validate(); err != nil {
			return fmt.Errorf("WithProfile: %w", err)
		}
		o.profiles = append(o.profiles, p)
		return nil
	}
}

// WithToken adds a bearer token of the REST API for a tenant. Without
// it the platform has the configuration file's tokens, or DefaultToken
// for tenant 1. With it, the tokens of a configuration file are
// replaced, as serve's --token flag replaces them. Container.Token
// returns the first token given.
func WithToken(bearer string, tenant int64) Option {
	return func(o *options) error {
		if bearer == "" || strings.ContainsAny(bearer, " =\t\r\n") {
			return fmt.Errorf("WithToken: token %q is invalid: use a non-empty token without spaces or '='", bearer)
		}
		if tenant <= 0 {
			return fmt.Errorf("WithToken: tenant %d is invalid: use a positive tenant id", tenant)
		}
		o.tokens = append(o.tokens, token{bearer, tenant})
		return nil
	}
}

// WithTimeScale runs the platform's clock factor times faster than wall
// time, from 0.001 to 1,000,000. At 100, a straight-through document
// takes 0.16 s and the first five webhook retries about 13 s.
func WithTimeScale(factor float64) Option {
	return func(o *options) error {
		if !(factor >= mockplatform.MinTimeScale && factor <= mockplatform.MaxTimeScale) {
			return fmt.Errorf("WithTimeScale: factor %g is out of range: use %g to %g", factor, mockplatform.MinTimeScale, mockplatform.MaxTimeScale)
		}
		o.timeScale = factor
		return nil
	}
}

// WithManualClock stops the platform's clock until the test advances
// it with Client().Advance.
func WithManualClock() Option {
	return func(o *options) error {
		o.manualClock = true
		return nil
	}
}

// WithSeed sets the seed of retry jitter, request ids, fake extracted
// values and fault decisions, so a run can be repeated. In scenario
// mode it replaces the seed of every scenario.
func WithSeed(seed uint64) Option {
	return func(o *options) error {
		o.seed = &seed
		return nil
	}
}

// WithDefaultProfile sets the workflow profile of documents that select
// none with custom_fields.mock_profile.
func WithDefaultProfile(name string) Option {
	return func(o *options) error {
		if name == "" {
			return errors.New("WithDefaultProfile: the profile name is empty: give a built-in or added profile's name")
		}
		o.defaultProfile = name
		return nil
	}
}

// WithRequestIDPerAttempt gives every delivery attempt a new
// request_id instead of keeping one per event.
func WithRequestIDPerAttempt() Option {
	return func(o *options) error {
		o.requestIDPerAttempt = true
		return nil
	}
}

// WithAttemptTimeout sets the wall time after which the platform gives
// up on one delivery attempt; the default is 10 s.
func WithAttemptTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("WithAttemptTimeout: timeout %s is invalid: use a positive duration such as 2s", d)
		}
		o.attemptTimeout = d
		return nil
	}
}

// WithConfigFile copies a YAML configuration file of serve from the
// test's machine into the container and starts the platform with it.
// Run reads the file first, so an invalid file fails before a container
// starts. Options that are flags of serve, such as WithSeed, replace
// the file's keys, and subscriptions, rules and profiles add to the
// file's. docs/cli.md describes the file.
func WithConfigFile(hostPath string) Option {
	return func(o *options) error {
		cfg, err := mockplatform.LoadConfig(hostPath)
		if err != nil {
			return fmt.Errorf("WithConfigFile: %w", err)
		}
		o.configFile = hostPath
		o.configTokens = cfg.Tokens
		o.configProfiles = cfg.Profiles
		return nil
	}
}

// WithScenarios runs scenarios against the consumer whose webhook
// endpoint is consumerURL, instead of serving until terminated. Each
// scenario is a built-in scenario's name or the path of a scenario
// file on the test's machine, which is copied into the container.
// Without names the whole catalog runs. The consumer reaches the platform at the
// container's port 8080, on the container's network alias. Run returns
// when every scenario has ended; ScenarioReport returns the verdicts.
func WithScenarios(consumerURL string, names ...string) Option {
	return func(o *options) error {
		u, err := url.Parse(consumerURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("WithScenarios: consumer URL %q is invalid: use an absolute http or https URL such as http://consumer:9000/webhooks", consumerURL)
		}
		o.consumerURL = consumerURL
		for _, name := range names {
			file := scenarios.IsFile(name)
			if file {
				if err := readableFile(name); err != nil {
					return fmt.Errorf("WithScenarios: %w", err)
				}
			} else {
				if _, ok := scenarios.Lookup(name); !ok {
					return fmt.Errorf("WithScenarios: no built-in scenario is named %q: use one of %s, or the path of a scenario file",
						name, strings.Join(scenarios.CatalogNames(), ", "))
				}
			}
			o.scenarios = append(o.scenarios, scenarioRef{value: name, file: file, index: len(o.scenarios)})
		}
		return nil
	}
}

// WithConsumerHeader adds a header that every webhook of a scenario
// carries, usually the consumer's auth header. It needs WithScenarios;
// in serve mode a subscription carries its own headers.
func WithConsumerHeader(name, value string) Option {
	return func(o *options) error {
		if name == "" || strings.ContainsAny(name, ": \t\r\n") || strings.ContainsAny(value, "\r\n") {
			return fmt.Errorf("WithConsumerHeader: header %q is invalid: use a header name without ':' or spaces and a value on one line", name)
		}
		o.consumerHeaders = append(o.consumerHeaders, name+": "+value)
		return nil
	}
}

// WithScenarioTimeout sets how long Run waits for a scenario-mode
// container to finish. Zero means DefaultScenarioTimeout.
func WithScenarioTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return fmt.Errorf("WithScenarioTimeout: timeout %s is negative: use a positive duration or zero for the default", d)
		}
		o.scenarioTimeout = d
		return nil
	}
}

// readableFile returns an error unless path is a file that exists.
func readableFile(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("scenario file %q: %w", path, err)
	}
	if info.IsDir() {
		return fmt.Errorf("scenario file %q is a directory: give a YAML file", path)
	}
	return nil
}

func (o *options) scenarioMode() bool { return o.consumerURL != "" }

// validate rejects combinations of options that cannot work together.
func (o *options) validate() error {
	if o.manualClock && o.timeScale != 0 {
		return errors.New("WithManualClock and WithTimeScale exclude each other: a manual clock does not run on its own")
	}
	if o.defaultProfile != "" && !o.startupProfile(o.defaultProfile) {
		return fmt.Errorf("WithDefaultProfile(%q) names no built-in profile and no profile of the configuration file: profiles of WithProfile exist only after start, so put the profile in a file for WithConfigFile, or select it per document with ControlUpload.Profile", o.defaultProfile)
	}
	if !o.scenarioMode() {
		if len(o.consumerHeaders) > 0 {
			return errors.New("WithConsumerHeader needs WithScenarios: in serve mode give headers to WithSubscription")
		}
		return nil
	}
	var serveOnly []string
	if len(o.subscriptions) > 0 {
		serveOnly = append(serveOnly, "WithSubscription")
	}
	if len(o.rules) > 0 {
		serveOnly = append(serveOnly, "WithRule")
	}
	if len(o.profiles) > 0 {
		serveOnly = append(serveOnly, "WithProfile")
	}
	if len(o.tokens) > 0 {
		serveOnly = append(serveOnly, "WithToken")
	}
	if o.timeScale != 0 || o.manualClock {
		serveOnly = append(serveOnly, "WithTimeScale or WithManualClock")
	}
	if o.defaultProfile != "" {
		serveOnly = append(serveOnly, "WithDefaultProfile")
	}
	if o.requestIDPerAttempt {
		serveOnly = append(serveOnly, "WithRequestIDPerAttempt")
	}
	if o.attemptTimeout != 0 {
		serveOnly = append(serveOnly, "WithAttemptTimeout")
	}
	if o.configFile != "" {
		serveOnly = append(serveOnly, "WithConfigFile")
	}
	if len(serveOnly) > 0 {
		return fmt.Errorf("%s cannot be combined with WithScenarios: a scenario file sets its own subscription, rules, profiles and clock", strings.Join(serveOnly, ", "))
	}
	return nil
}

// startupProfile reports whether a profile of the given name exists
// when serve starts: a built-in one or one of the configuration file.
func (o *options) startupProfile(name string) bool {
	for _, p := range append(mockplatform.BuiltinProfiles(), o.configProfiles...) {
		if p.Name == name {
			return true
		}
	}
	return false
}

// token returns the first bearer token the platform accepts: the first
// WithToken, else the configuration file's first, else DefaultToken.
func (o *options) token() string {
	if len(o.tokens) > 0 {
		return o.tokens[0].token
	}
	if len(o.configTokens) > 0 {
		return o.configTokens[0].Token
	}
	return DefaultToken
}
