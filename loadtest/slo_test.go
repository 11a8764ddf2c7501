package loadtest

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
)

func TestParseSLOs(t *testing.T) {
	tests := []struct {
		spec string
		want []SLO
		ok   bool
	}{
		{"", nil, true},
		{"decision_p99<50ms,first_frame_p95<1s,loss=0", []SLO{
			{Name: "decision_p99", Op: "<", Bound: 50, Unit: "ms", Text: "decision_p99<50ms"},
			{Name: "first_frame_p95", Op: "<", Bound: 1000, Unit: "ms", Text: "first_frame_p95<1s"},
			{Name: "loss", Op: "=", Bound: 0, Text: "loss=0"}}, true},
		{" delivery_ratio >= 0.999 , errors<=3", []SLO{
			{Name: "delivery_ratio", Op: ">=", Bound: 0.999, Text: "delivery_ratio >= 0.999"},
			{Name: "errors", Op: "<=", Bound: 3, Text: "errors<=3"}}, true},
		{"nonsense_p99<5ms", nil, false},
		{"decision_p99", nil, false},
		{"decision_p99<fast", nil, false},
		{"<5", nil, false},
		{"errors<NaN", nil, false},
		{"errors<+Inf", nil, false},
	}
	for _, tc := range tests {
		got, err := ParseSLOs(tc.spec)
		if (err == nil) != tc.ok {
			t.Errorf("ParseSLOs(%q): %v, want ok=%v", tc.spec, err, tc.ok)
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("ParseSLOs(%q) = %+v, want %+v", tc.spec, got, tc.want)
		}
	}
}

func TestSLOChecks(t *testing.T) {
	r := newReport("scenario", "http://127.0.0.1:1")
	r.Bids = &BidsSummary{Decision: Quantiles{N: 100, P50: 10, P95: 40, P99: 63.2, Max: 90}}
	r.Viewers = &ViewersSummary{FirstKey: Quantiles{N: 10, P95: 420}, Lost: 0, Undelivered: 3, DeliveryRatio: 0.9999}
	tests := []struct {
		spec     string
		ok       bool
		measured bool
	}{
		{"decision_p99<50ms", false, true},
		{"decision_p99<100ms", true, true},
		{"decision_p95<=40ms", true, true},
		{"first_frame_p95<1s", true, true}, // the viewers' first keyframe when no browser ran
		{"loss=0", false, true},            // 3 packets the SFU skipped are lost to viewers
		{"loss<=3", true, true},
		{"delivery_ratio>=0.999", true, true},
		{"jitter_buffer_p95<100ms", false, false}, // no browsers: a threshold not measured fails
		{"errors=0", true, true},
	}
	for _, tc := range tests {
		slos, err := ParseSLOs(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		c := slos[0].Check(r)
		if c.OK != tc.ok || c.Measured != tc.measured || c.Message == "" {
			t.Errorf("%s: %+v, want ok=%v measured=%v", tc.spec, c, tc.ok, tc.measured)
		}
	}
	slos, _ := ParseSLOs("decision_p99<50ms,errors=0")
	checks := r.CheckSLOs(slos)
	if failed := FailedSLOs(checks); len(failed) != 1 || failed[0] != "decision_p99<50ms" {
		t.Fatalf("failed %v", failed)
	}
	if len(r.Thresholds) != 2 || !strings.Contains(r.SummaryLine(), "slo_decision_p99=MISSED") {
		t.Fatalf("thresholds %+v, line %s", r.Thresholds, r.SummaryLine())
	}
}

// TestJUnitFollowsTheSchema checks the JUnit XML against the rules of the
// schema CI systems read (Jenkins' junit.xsd): the elements allowed under
// each element, the required attributes, numeric counts and times that
// agree with the test cases, and at most one failure or error per case.
func TestJUnitFollowsTheSchema(t *testing.T) {
	r := sampleReport()
	slos, _ := ParseSLOs("ack_p95<1ms,errors<100")
	checks := r.CheckSLOs(slos)
	for _, runErr := range []error{nil, errors.New("context deadline exceeded <&>")} {
		b, err := r.JUnit(checks, runErr)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte(`<?xml version="1.0" encoding="UTF-8"?>`)) {
			t.Fatalf("no XML declaration: %.60s", b)
		}
		counts := validateJUnit(t, b)
		// run, 2 thresholds (one missed), the audit (failed in sampleReport).
		want := [3]int{4, 2, 0}
		if runErr != nil {
			want[2] = 1
		}
		if counts != want {
			t.Fatalf("tests/failures/errors %v, want %v\n%s", counts, want, b)
		}
	}
}

// junitSchema is, per element, the child elements and the attributes
// junit.xsd allows, and the attributes it requires.
var junitSchema = map[string]struct {
	children, attrs, required []string
}{
	"testsuites": {[]string{"testsuite"}, []string{"name", "time", "tests", "failures", "disabled", "errors"}, nil},
	"testsuite": {[]string{"properties", "testcase", "system-out", "system-err"},
		[]string{"name", "tests", "failures", "errors", "time", "disabled", "skipped", "timestamp", "hostname", "id", "package"},
		[]string{"name", "tests"}},
	"properties": {[]string{"property"}, nil, nil},
	"property":   {nil, []string{"name", "value"}, []string{"name", "value"}},
	"testcase": {[]string{"skipped", "error", "failure", "system-out", "system-err"},
		[]string{"name", "assertions", "time", "classname", "status"}, []string{"name"}},
	"failure":    {nil, []string{"type", "message"}, nil},
	"error":      {nil, []string{"type", "message"}, nil},
	"skipped":    {nil, []string{"message"}, nil},
	"system-out": {nil, nil, nil},
	"system-err": {nil, nil, nil},
}

// validateJUnit walks the document, checking it against junitSchema and
// the counts against the cases; it returns the root's tests, failures and
// errors.
func validateJUnit(t *testing.T, b []byte) [3]int {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(b))
	var stack []string
	var root [3]int
	var suite, got [3]int // declared by the suite; counted from its cases
	caseProblems := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			name := el.Name.Local
			rule, known := junitSchema[name]
			if !known {
				t.Fatalf("element <%s> is not in the schema", name)
			}
			if len(stack) == 0 && name != "testsuites" {
				t.Fatalf("root <%s>, want <testsuites>", name)
			}
			if len(stack) > 0 && !contains(junitSchema[stack[len(stack)-1]].children, name) {
				t.Fatalf("<%s> inside <%s>", name, stack[len(stack)-1])
			}
			attrs := map[string]string{}
			for _, a := range el.Attr {
				if !contains(rule.attrs, a.Name.Local) {
					t.Fatalf("<%s %s> is not in the schema", name, a.Name.Local)
				}
				attrs[a.Name.Local] = a.Value
			}
			for _, req := range rule.required {
				if _, ok := attrs[req]; !ok {
					t.Fatalf("<%s> lacks %s", name, req)
				}
			}
			for _, num := range []string{"tests", "failures", "errors", "skipped", "disabled"} {
				if v, ok := attrs[num]; ok {
					if _, err := strconv.Atoi(v); err != nil {
						t.Fatalf("<%s %s=%q>: not an integer", name, num, v)
					}
				}
			}
			if v, ok := attrs["time"]; ok {
				if _, err := strconv.ParseFloat(v, 64); err != nil {
					t.Fatalf("<%s time=%q>: not a number", name, v)
				}
			}
			atoi := func(k string) int { n, _ := strconv.Atoi(attrs[k]); return n }
			switch name {
			case "testsuites":
				root = [3]int{atoi("tests"), atoi("failures"), atoi("errors")}
			case "testsuite":
				suite, got = [3]int{atoi("tests"), atoi("failures"), atoi("errors")}, [3]int{}
			case "testcase":
				got[0]++
				caseProblems = 0
			case "failure", "error":
				if caseProblems++; caseProblems > 1 {
					t.Fatal("a test case with more than one failure or error")
				}
				if name == "failure" {
					got[1]++
				} else {
					got[2]++
				}
			}
			stack = append(stack, name)
		case xml.EndElement:
			if el.Name.Local == "testsuite" && suite != got {
				t.Fatalf("suite declares tests/failures/errors %v, its cases are %v", suite, got)
			}
			stack = stack[:len(stack)-1]
		}
	}
	if root != suite {
		t.Fatalf("testsuites %v, testsuite %v", root, suite)
	}
	return root
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
