package cli

import (
	"flag"
	"fmt"
	"strings"
)

// help is `auctiond help`: every command, then the environment.
func (p *Program) help() string {
	var b strings.Builder
	b.WriteString("auctiond: the Bidcast live auction server\n\nUsage:\n  auctiond COMMAND [flags]\n\nCommands:\n")
	writeCommands(&b, "")
	b.WriteString("  help" + strings.Repeat(" ", commandWidth()-len("help")) + "this text\n")
	b.WriteString("\n`auctiond COMMAND --help` prints a command's flags and an example.\n\n")
	b.WriteString("Environment (`auctiond serve --help` lists the flags that override some of them, e.g. --http-addr):\n")
	b.WriteString(p.Environment)
	return b.String()
}

// groupHelp is `auctiond room --help` and `auctiond user --help`.
func (p *Program) groupHelp(group string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage:\n  auctiond %s COMMAND [flags]\n\nCommands:\n", group)
	writeCommands(&b, group+" ")
	fmt.Fprintf(&b, "\n`auctiond %s COMMAND --help` prints a command's flags and an example.\n", group)
	return b.String()
}

// verbs lists a group's commands: "create", "promote|demote|...".
func (p *Program) verbs(group string) string {
	var vs []string
	for _, c := range commands {
		if v, ok := strings.CutPrefix(c.name, group+" "); ok {
			vs = append(vs, v)
		}
	}
	return strings.Join(vs, "|")
}

// writeCommands lists the commands whose names start with prefix.
func writeCommands(b *strings.Builder, prefix string) {
	w := commandWidth()
	for _, c := range commands {
		if strings.HasPrefix(c.name, prefix) {
			head := c.name + " " + c.operands
			b.WriteString("  " + head + strings.Repeat(" ", max(1, w-len(head))) + c.summary + "\n")
		}
	}
}

func commandWidth() int {
	w := 0
	for _, c := range commands {
		w = max(w, len(c.name)+1+len(c.operands)+2)
	}
	return w
}

// commandHelp is `auctiond COMMAND --help`: usage, every flag of fs with
// its default, and an example.
func commandHelp(c *command, fs *flag.FlagSet) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage:\n  auctiond %s %s\n\n%s.\n\nFlags:\n", c.name, c.operands, upperFirst(c.summary))
	fs.SetOutput(&b)
	fs.PrintDefaults()
	fmt.Fprintf(&b, "\nExample:\n  %s\n", c.example)
	return b.String()
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
