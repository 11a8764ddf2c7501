package main

import (
	"os"
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
