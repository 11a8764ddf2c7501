package envconf

import "strings"

// Var documents one environment variable: its name, its default as a
// person reads it, and what it does. `auctiond help` prints a table of
// them and the README's configuration table mirrors it.
type Var struct {
	Name, Default, Help string
}

// WithDefaults reads a variable through getenv, or else its default in
// vars. Defaults in angle brackets ("<hostname>-<pid>",
// "http://<HTTP_ADDR>") describe a value computed later, so they read as
// unset.
func WithDefaults(getenv func(string) string, vars []Var) func(string) string {
	return func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		for _, s := range vars {
			if s.Name == name && !strings.HasPrefix(s.Default, "http://<") && !strings.HasPrefix(s.Default, "<") {
				return s.Default
			}
		}
		return ""
	}
}

// Table renders vars for a help text: each name padded to one column with
// its default ("(none)" when it has none), the help on the next line.
func Table(vars []Var) string {
	var b strings.Builder
	width := 0
	for _, s := range vars {
		width = max(width, len(s.Name))
	}
	for _, s := range vars {
		def := s.Default
		if def == "" {
			def = "(none)"
		}
		b.WriteString("  " + s.Name + strings.Repeat(" ", width+2-len(s.Name)) + def + "\n      " + s.Help + "\n")
	}
	return b.String()
}
