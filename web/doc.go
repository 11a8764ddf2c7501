// Package web serves Bidcast's browser client, embedded in the binary so the
// pages work on a machine with no internet and no CDN: plain HTML, CSS and
// ES modules under static/, no build step.
//
// Handler serves the lobby (/), a room (/rooms/{id}), the seller studio
// (/studio), sign-in (/login) and the account page (/account), and their
// scripts and style sheet, with a Content-Security-Policy that allows no
// inline script, nosniff, same-origin referrers and ETag revalidation.
// The pages talk to the server through the JSON API, the /auth routes, the
// WebSocket protocol (docs/protocol.md) and WHEP; docs/web.md describes
// them and their tests (headless Chromium, driven from Go with chromedp).
//
// The room page keeps a small contract with the browser load test
// (loadtest): window.bidcast.placeBid(amount?) bids through the page's own
// code, and the player is <video data-bidcast-video>.
package web
