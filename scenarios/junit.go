package scenarios

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/parashift-mock/parashift-mock/assertions"
)

// The JUnit XML elements, in the form that GitLab, GitHub and Jenkins
// read: testsuites, one testsuite per scenario and one testcase per
// check.
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Errors   int          `xml:"errors,attr"`
		Time     string       `xml:"time,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name       string          `xml:"name,attr"`
		Tests      int             `xml:"tests,attr"`
		Failures   int             `xml:"failures,attr"`
		Errors     int             `xml:"errors,attr"`
		Skipped    int             `xml:"skipped,attr"`
		Time       string          `xml:"time,attr"`
		Timestamp  string          `xml:"timestamp,attr"`
		Properties []junitProperty `xml:"properties>property"`
		Cases      []junitCase     `xml:"testcase"`
	}
	junitProperty struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	junitCase struct {
		Name      string        `xml:"name,attr"`
		Classname string        `xml:"classname,attr"`
		Time      string        `xml:"time,attr"`
		Failure   *junitProblem `xml:"failure"`
		Error     *junitProblem `xml:"error"`
		SystemOut string        `xml:"system-out,omitempty"`
	}
	junitProblem struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
)

// junitSetupCase names the test case of a scenario that ended without
// verdicts, such as one whose consumer was unreachable.
const junitSetupCase = "run"

// WriteJUnit writes the reports as JUnit XML: one testsuite per
// scenario and one testcase per check. A failed or inconclusive check
// is a <failure> whose text is the check's report with its evidence; a
// scenario that ended without verdicts has a single testcase, "run",
// with an <error>. Checks run at the same time, so each testcase's
// time is the scenario's time divided by its checks, which keeps the
// sum equal to the scenario's time in tools that add them up.
func WriteJUnit(w io.Writer, reports []Report) error {
	t := Sum(reports)
	doc := junitSuites{Name: "parashift-mock scenarios", Time: junitSeconds(t.Duration)}
	for _, r := range reports {
		suite := junitSuiteOf(r)
		doc.Tests += suite.Tests
		doc.Failures += suite.Failures
		doc.Errors += suite.Errors
		doc.Suites = append(doc.Suites, suite)
	}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("write JUnit report: %w", err)
	}
	if _, err := fmt.Fprintf(w, "%s%s\n", xml.Header, out); err != nil {
		return fmt.Errorf("write JUnit report: %w", err)
	}
	return nil
}

func junitSuiteOf(r Report) junitSuite {
	suite := junitSuite{
		Name:      r.Scenario,
		Time:      junitSeconds(r.Duration),
		Timestamp: r.Started.UTC().Format("2006-01-02T15:04:05"),
		Properties: []junitProperty{
			{"description", r.Description},
			{"seed", strconv.FormatUint(r.Seed, 10)},
			{"documents", strconv.Itoa(r.Documents)},
			{"consumer_url", r.ConsumerURL},
			{"timed_out", strconv.FormatBool(r.TimedOut)},
		},
	}
	if r.Error != "" || len(r.Results) == 0 {
		msg := r.Error
		if msg == "" {
			msg = "the scenario ended without verdicts"
		}
		suite.Tests, suite.Errors = 1, 1
		suite.Cases = []junitCase{{Name: junitSetupCase, Classname: r.Scenario, Time: suite.Time,
			Error: &junitProblem{Message: msg, Type: ReportError, Text: msg}}}
		return suite
	}
	share := junitSeconds(r.Duration / time.Duration(len(r.Results)))
	for _, res := range r.Results {
		c := junitCase{Name: res.Check, Classname: r.Scenario, Time: share}
		if res.Status == assertions.Passed {
			c.SystemOut = res.Summary
		} else {
			c.Failure = &junitProblem{Message: res.Summary, Type: string(res.Status), Text: res.Report()}
			suite.Failures++
		}
		suite.Tests++
		suite.Cases = append(suite.Cases, c)
	}
	return suite
}

func junitSeconds(d time.Duration) string {
	return strconv.FormatFloat(seconds(d), 'f', 3, 64)
}
