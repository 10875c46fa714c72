package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/parashift-mock/parashift-mock/examples/consumer"
	"github.com/parashift-mock/parashift-mock/mockplatform"
	"github.com/parashift-mock/parashift-mock/scenarios"
)

// defaultRunAddr is the platform's address for run without --addr, the
// same as serve's, so a consumer configured for serve works unchanged.
const defaultRunAddr = "127.0.0.1:8080"

// referenceSecret is the webhook secret of the reference consumer that
// --reference-consumer starts; it never leaves this process.
const referenceSecret = "reference-consumer-secret"

// documentIDStride rounds the first document id of each scenario up to
// a multiple of it, so each scenario's ids are easy to tell apart.
const documentIDStride = 1000

// runFlags are the flags of run.
type runFlags struct {
	consumer          string
	headers           stringList
	scenarios         stringList
	addr              string
	jsonPath          string
	junitPath         string
	seed              uint64
	wait              time.Duration
	referenceConsumer bool
}

func newRunFlags() (*flag.FlagSet, *runFlags) {
	f := &runFlags{}
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.StringVar(&f.consumer, "consumer", "", "the consumer's webhook `URL`, such as http://127.0.0.1:9000/webhooks")
	fs.Var(&f.headers, "header", "header sent with every webhook, usually the consumer's auth header,\nas `\"Name: value\"`; repeatable")
	fs.Var(&f.scenarios, "scenario", "a built-in scenario's `name` or a scenario file; repeatable\n(default every built-in scenario, see parashift-mock scenarios)")
	fs.StringVar(&f.addr, "addr", defaultRunAddr, "listen `address` host:port of the platform, the same for every scenario;\nport 0 picks a free port")
	fs.StringVar(&f.jsonPath, "json", "", "write the reports as JSON to this `file`")
	fs.StringVar(&f.junitPath, "junit", "", "write the reports as JUnit XML to this `file`, for CI test reports")
	fs.Uint64Var(&f.seed, "seed", 0, "`seed` of every scenario, in place of the seed in its file")
	durationVar(fs, &f.wait, "wait", 10*time.Second, "how long to wait for the consumer to accept connections,\nas a `duration`")
	fs.BoolVar(&f.referenceConsumer, "reference-consumer", false, "run the catalog against the reference consumer of examples/consumer,\nstarted in this process for each scenario, instead of --consumer")
	return fs, f
}

// runRun runs scenarios against a consumer one after another, prints a
// report and writes the --json and --junit files. It returns an error,
// and so exit status 1, unless every check of every scenario passed.
func runRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, f := newRunFlags()
	if help, err := parseFlags(fs, args, stdout); help || err != nil {
		return err
	}
	explicit := explicitFlags(fs)
	if err := f.validate(); err != nil {
		return err
	}
	headers, err := parseHeaderFlags("run", "header", f.headers)
	if err != nil {
		return err
	}
	list, err := selectScenarios(f.scenarios)
	if err != nil {
		return err
	}
	if explicit["seed"] {
		for i := range list {
			list[i].Seed = f.seed
		}
	}
	addr, err := reserveAddr(f.addr)
	if err != nil {
		return err
	}
	// The report files are created before the first scenario, so a
	// folder the program cannot write to fails the run at once, not
	// after every scenario has run.
	files, err := createReportFiles(f)
	if err != nil {
		return err
	}
	defer files.close()

	printRunHeader(stdout, f, addr, len(list))
	reports := runScenarios(ctx, list, f, addr, headers, stderr)
	if err := scenarios.WriteText(stdout, reports); err != nil {
		return err
	}
	if err := files.write(reports); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return fmt.Errorf("run interrupted: %w", context.Cause(ctx))
	}
	if t := scenarios.Sum(reports); !t.AllPassed() {
		return fmt.Errorf("%d of %d scenarios did not pass", t.Scenarios-t.Passed, t.Scenarios)
	}
	return nil
}

// validate checks the flags that need no parsing.
func (f *runFlags) validate() error {
	switch {
	case f.referenceConsumer && f.consumer != "":
		return usagef("run", "flags --consumer and --reference-consumer exclude each other: use --consumer URL for your consumer, or --reference-consumer alone")
	case f.referenceConsumer && len(f.headers) > 0:
		return usagef("run", "flag --header does not apply to --reference-consumer, which gets its own auth header")
	case !f.referenceConsumer && f.consumer == "":
		return usagef("run", "flag --consumer is missing: pass the consumer's webhook URL, such as --consumer http://127.0.0.1:9000/webhooks, or use --reference-consumer")
	case f.wait < 0:
		return usagef("run", "invalid value %q for flag --wait: use a duration of 0 or more, such as 10s", f.wait)
	}
	if f.consumer != "" {
		if err := mockplatform.ValidateWebhookURL(f.consumer); err != nil {
			return usagef("run", "invalid value for flag --consumer: %v", err)
		}
	}
	if _, _, err := net.SplitHostPort(f.addr); err != nil {
		return usagef("run", "invalid value %q for flag --addr: use host:port, such as 127.0.0.1:8080", f.addr)
	}
	return nil
}

// selectScenarios returns the scenarios that --scenario names, in
// order, or the whole catalog without the flag. An argument is a file
// when it ends in .yaml or .yml, contains a path separator or names an
// existing file, and a built-in scenario otherwise.
func selectScenarios(args []string) ([]scenarios.Scenario, error) {
	if len(args) == 0 {
		return scenarios.Catalog(), nil
	}
	var list []scenarios.Scenario
	for _, arg := range args {
		if scenarios.IsFile(arg) {
			sc, err := scenarios.Load(arg)
			if err != nil {
				return nil, usagef("run", "invalid scenario file: %v", err)
			}
			list = append(list, sc)
			continue
		}
		sc, ok := scenarios.Lookup(arg)
		if !ok {
			return nil, usagef("run", "invalid value %q for flag --scenario: no built-in scenario has this name and no file has this path: use one of %s, or the path of a scenario file",
				arg, strings.Join(scenarios.CatalogNames(), ", "))
		}
		list = append(list, sc)
	}
	return list, nil
}

// reserveAddr checks that addr is free and replaces port 0 with a free
// port, so that every scenario's platform listens on the address that
// the header shows for the consumer's configuration.
func reserveAddr(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("listen on %s: %w", addr, withAddrInUseHint(err))
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// printRunHeader prints what a consumer needs before the first
// scenario starts: the platform's URLs and the development token.
func printRunHeader(w io.Writer, f *runFlags, addr string, count int) {
	base := mockplatform.BaseURL(addr)
	// A listener on every interface gets a loopback URL, and other
	// hosts reach it by the host's name.
	wildcard := base != "http://"+addr
	target := redactURL(f.consumer)
	if f.referenceConsumer {
		target = "the reference consumer of examples/consumer, started for each scenario"
	}
	fmt.Fprintf(w, "parashift-mock run: %d scenarios, one after another, against %s\n", count, target)
	fmt.Fprintf(w, "  platform URL: %s (a new platform on this address for each scenario)\n", base)
	if wildcard {
		fmt.Fprintf(w, "                listening on every interface: from another host or container, use this host's name in place of 127.0.0.1\n")
	}
	fmt.Fprintf(w, "  REST API:     %s/v2\n", base)
	fmt.Fprintf(w, "  token:        %s (built-in development token, tenant %d)\n", mockplatform.DefaultToken, mockplatform.DefaultTenant)
	fmt.Fprintf(w, "  effects sink: %s/_mock/effects (optional; idempotent and order-robust need it)\n", base)
	if len(f.headers) > 0 {
		names := make([]string, len(f.headers))
		for i, h := range f.headers {
			names[i], _, _ = strings.Cut(h, ":")
			names[i] = strings.TrimSpace(names[i])
		}
		fmt.Fprintf(w, "  headers:      %s (values not shown)\n", strings.Join(names, ", "))
	}
	fmt.Fprintln(w)
}

// runScenarios runs each scenario and returns the reports. After an
// unreachable consumer or an interrupt, the scenarios not run yet get
// reports that give the reason.
func runScenarios(ctx context.Context, list []scenarios.Scenario, f *runFlags, addr string,
	headers map[string]string, progress io.Writer) []scenarios.Report {
	reports := make([]scenarios.Report, 0, len(list))
	var firstID int64 = mockplatform.DefaultFirstID
	var stop string
	for _, sc := range list {
		if stop != "" {
			reports = append(reports, scenarios.Report{Scenario: sc.Name, Description: sc.Description, Seed: sc.Seed,
				ConsumerURL: redactURL(f.consumer), Started: time.Now(), Error: stop})
			continue
		}
		opts := scenarios.RunOptions{
			ConsumerURL: f.consumer, Headers: headers, Addr: addr, FirstDocumentID: firstID,
			ConsumerWait: f.wait, Progress: progress,
		}
		var ref *referenceConsumer
		if f.referenceConsumer {
			var err error
			if ref, err = newReferenceConsumer(); err != nil {
				reports = append(reports, scenarios.Report{Scenario: sc.Name, Started: time.Now(), Error: err.Error()})
				continue
			}
			ref.configure(&opts)
		}
		rep, err := scenarios.Run(ctx, sc, opts)
		if ref != nil {
			ref.stop()
		}
		reports = append(reports, rep)
		if rep.LastDocumentID >= firstID {
			firstID = (rep.LastDocumentID/documentIDStride+1)*documentIDStride + 1
		}
		switch {
		case ctx.Err() != nil:
			stop = "not run: the run was interrupted"
		case errors.Is(err, scenarios.ErrConsumerUnreachable):
			stop = fmt.Sprintf("not run: the consumer was unreachable in scenario %s", sc.Name)
		case errors.Is(err, scenarios.ErrPlatformStart):
			stop = fmt.Sprintf("not run: the platform could not start in scenario %s", sc.Name)
		}
	}
	return reports
}

// reportFile is an open --json or --junit file and the function that
// writes its format.
type reportFile struct {
	file  *os.File
	write func(io.Writer, []scenarios.Report) error
}

type reportFiles []reportFile

// createReportFiles creates the --json and --junit files that are set.
func createReportFiles(f *runFlags) (reportFiles, error) {
	formats := []struct {
		flag, path string
		write      func(io.Writer, []scenarios.Report) error
	}{
		{"json", f.jsonPath, scenarios.WriteJSON},
		{"junit", f.junitPath, scenarios.WriteJUnit},
	}
	var files reportFiles
	for _, format := range formats {
		if format.path == "" {
			continue
		}
		out, err := os.Create(format.path)
		if err != nil {
			files.close()
			return nil, fmt.Errorf("create report file for --%s: %w: give a path in a folder this program can write to", format.flag, err)
		}
		files = append(files, reportFile{out, format.write})
	}
	return files, nil
}

// write writes the reports to every file and closes it.
func (files reportFiles) write(reports []scenarios.Report) error {
	for i, rf := range files {
		err := rf.write(rf.file, reports)
		if closeErr := rf.file.Close(); err == nil && closeErr != nil {
			err = fmt.Errorf("write report file %s: %w", rf.file.Name(), closeErr)
		}
		files[i].file = nil
		if err != nil {
			return err
		}
	}
	return nil
}

// close closes the files that write has not closed.
func (files reportFiles) close() {
	for _, rf := range files {
		if rf.file != nil {
			rf.file.Close()
		}
	}
}

// referenceConsumer is the reference consumer of examples/consumer,
// listening before the platform starts so its URL can be subscribed,
// and started once the platform's URL is known.
type referenceConsumer struct {
	ln     net.Listener
	srv    *http.Server
	cancel context.CancelFunc
	done   chan struct{}
}

func newReferenceConsumer() (*referenceConsumer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the reference consumer: %w", err)
	}
	return &referenceConsumer{ln: ln}, nil
}

// configure points opts at the consumer and starts it when the
// platform listens.
func (rc *referenceConsumer) configure(opts *scenarios.RunOptions) {
	opts.ConsumerURL = "http://" + rc.ln.Addr().String() + "/webhooks"
	opts.Headers = map[string]string{"Authorization": "Bearer " + referenceSecret}
	opts.OnPlatform = rc.start
}

// start runs the consumer against the platform at platformURL, with
// its effects going to the platform's sink.
func (rc *referenceConsumer) start(platformURL string) error {
	c, err := consumer.New(consumer.Config{
		APIURL:        platformURL,
		Token:         mockplatform.DefaultToken,
		WebhookSecret: referenceSecret,
		EffectsURL:    platformURL + "/_mock/effects",
		Logger:        slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return fmt.Errorf("reference consumer: %w", err)
	}
	rc.srv = &http.Server{Handler: c.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = rc.srv.Serve(rc.ln) }()
	ctx, cancel := context.WithCancel(context.Background())
	rc.cancel, rc.done = cancel, make(chan struct{})
	go func() {
		defer close(rc.done)
		_ = c.Run(ctx)
	}()
	return nil
}

// stop stops the HTTP server before the consumer, as a service does,
// or only closes the listener when the consumer never started.
func (rc *referenceConsumer) stop() {
	if rc.srv == nil {
		rc.ln.Close()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	_ = rc.srv.Shutdown(ctx)
	rc.cancel()
	<-rc.done
}
