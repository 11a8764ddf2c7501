// Package envconf is the one way Bidcast reads settings from the
// environment: a Reader over a lookup function (os.Getenv, or a map in
// tests) with typed getters for strings, booleans, whole numbers, byte
// sizes, durations and comma-separated lists.
//
// Every getter returns its default when the variable is unset or empty. A
// value that does not parse is remembered as an error naming the variable
// and the value ("MEDIA_CONCURRENCY=\"0\": want a positive integer"), and
// reading goes on, so Err reports every problem at once. Values of secrets
// are never parsed here: their readers name the variable without echoing it.
//
// Each package keeps its own Config with defaults and Validate; envconf only
// turns text into typed values. A Reader is not safe for concurrent use; it
// lives for one load.
package envconf
