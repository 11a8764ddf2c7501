// Package web serves Bidcast's browser client, embedded in the binary so the
// pages work on a machine with no internet and no CDN.
package web
