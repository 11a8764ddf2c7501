package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeShowsTheCommandsAsPrinted keeps the README's command list the
// same as what `auctiond help` prints.
func TestReadmeShowsTheCommandsAsPrinted(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCLI([]string{"help"}, func(string) string { return "" })
	if code != 0 {
		t.Fatalf("help: status %d", code)
	}
	block := func(text string) string {
		i := strings.Index(text, "Commands:\n")
		if i < 0 {
			return ""
		}
		text = text[i:]
		if j := strings.Index(text, "\n\n"); j >= 0 {
			text = text[:j]
		}
		if j := strings.Index(text, "\n```"); j >= 0 {
			text = text[:j]
		}
		return strings.TrimSpace(text)
	}
	want, got := block(out), block(string(readme))
	if want == "" || got != want {
		t.Fatalf("README's command list differs from `auctiond help`:\nREADME:\n%s\nhelp:\n%s", got, want)
	}
}

// TestReadmeVariablesAreReal checks every variable the README's
// configuration table names is one `auctiond help` lists: the README shows
// a chosen few, never one the server does not read.
func TestReadmeVariablesAreReal(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, out, _ := runCLI([]string{"help"}, func(string) string { return "" })
	row := regexp.MustCompile("(?m)^\\| `([A-Z][A-Z0-9_]+)`")
	names := row.FindAllStringSubmatch(string(readme), -1)
	if len(names) < 20 {
		t.Fatalf("found only %d variables in the README's tables", len(names))
	}
	for _, m := range names {
		if !strings.Contains(out, "  "+m[1]+" ") {
			t.Errorf("README names %s, which `auctiond help` does not list", m[1])
		}
	}
}
