// Package clientip derives the address of the client behind an HTTP
// request, the one way every part of the server does it (rate limits,
// connection caps, logs).
//
// Forwarding headers are believed only from a configured trusted proxy
// (TRUSTED_PROXIES). With none configured, the default, the client is the
// socket's peer and every header is ignored: a client can write anything in
// X-Forwarded-For. When the peer is a trusted proxy, the X-Forwarded-For
// chain is read from the right (the hop nearest to us) and the first
// address that is not itself a trusted proxy is the client: entries to its
// left were written by the client or by proxies we do not know, and may be
// forged. A malformed entry ends the walk at the last address a trusted
// proxy vouched for, so garbage can never make a client look like someone
// else.
//
// Resolver is a plain value, safe for concurrent use; its zero value trusts
// nobody.
package clientip
