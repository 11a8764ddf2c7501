package loadtest

import (
	"encoding/xml"
	"fmt"
	"os"
	"strconv"
)

// The JUnit XML report follows the schema CI systems read (Jenkins'
// junit.xsd, which GitLab, GitHub Actions reporters, Buildkite and CircleCI
// accept): <testsuites> of <testsuite name tests failures errors skipped
// time timestamp hostname> with <properties>, <testcase name classname
// time> (each with at most a <failure message type> or <error message
// type>) and <system-out>. One test case per threshold, one for the bid
// audit, one for the hot-lot audit and one for the run itself.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Hostname   string          `xml:"hostname,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  string          `xml:"system-out"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// JUnit renders the report as JUnit XML: checks are the thresholds (see
// CheckSLOs), runErr the run's own failure if any.
func (r *Report) JUnit(checks []SLOCheck, runErr error) ([]byte, error) {
	class := "loadtest." + r.Kind
	suite := junitSuite{Name: class, Time: secs(r.Seconds), Timestamp: r.Started.UTC().Format("2006-01-02T15:04:05"),
		Hostname: r.Host.Hostname, SystemOut: r.SummaryLine(),
		Properties: []junitProperty{{"target", r.Target}, {"schema", r.Schema}, {"shards", strconv.Itoa(max(1, r.Shards))}}}
	run := junitCase{Name: "run", Classname: class, Time: secs(r.Seconds)}
	if runErr != nil {
		run.Error = &junitProblem{Message: runErr.Error(), Type: "run", Text: runErr.Error()}
	}
	suite.Cases = append(suite.Cases, run)
	for _, c := range checks {
		tc := junitCase{Name: c.Text, Classname: class + ".slo", Time: "0"}
		if !c.OK {
			tc.Failure = &junitProblem{Message: c.Message, Type: "threshold", Text: c.Message}
		}
		suite.Cases = append(suite.Cases, tc)
	}
	if a := r.Audit; a != nil {
		tc := junitCase{Name: "bid audit (" + a.Source + ")", Classname: class + ".audit", Time: "0"}
		if !a.OK {
			tc.Failure = &junitProblem{Message: fmt.Sprintf("%d violations", len(a.Violations)), Type: "audit",
				Text: joinLines(a.Violations)}
		}
		suite.Cases = append(suite.Cases, tc)
	}
	suite.Cases = append(suite.Cases, r.hotLotJUnit(class)...)
	for _, tc := range suite.Cases {
		suite.Tests++
		if tc.Failure != nil {
			suite.Failures++
		}
		if tc.Error != nil {
			suite.Errors++
		}
	}
	doc := junitSuites{Name: "bidcast-loadtest", Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors,
		Time: suite.Time, Suites: []junitSuite{suite}}
	b, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode junit: %w", err)
	}
	return append([]byte(xml.Header), append(b, '\n')...), nil
}

// WriteJUnit writes the JUnit XML report to path.
func (r *Report) WriteJUnit(path string, checks []SLOCheck, runErr error) error {
	b, err := r.JUnit(checks, runErr)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	return nil
}

func secs(s float64) string { return strconv.FormatFloat(s, 'f', 3, 64) }

func joinLines(v []string) string {
	out := ""
	for _, s := range v {
		out += s + "\n"
	}
	return out
}
