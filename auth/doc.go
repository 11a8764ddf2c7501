// Package auth signs people in and says what they may do.
//
// Identity comes from social and OpenID Connect providers (through goth's
// providers, without gothic), or from a display name alone for guests.
// After a login the user is upserted by (provider, subject) in Postgres and
// gets a session: a 15-minute HS256 access token and a 30-day rotating
// refresh token, both in HttpOnly cookies. Refresh tokens are kept hashed
// in Redis by family; a rotated token used again revokes its family.
// Nothing in Redis says what a user may do: tickets, login links and
// refresh families hold only a user ID sealed with the server's key, and
// the role is read from Postgres whenever one of them is used.
// Principal carries who is calling and answers CanBid, CanChat, CanCommand
// and CanModerate for a room; the Service adds CanPublish (seller or
// publish token), viewer tokens for non-public rooms, single-use WebSocket
// tickets, CSRF protection and per-address rate limits on its endpoints.
// For WHIP and WHEP it gives the SFU the same rules in the SFU's terms:
// MediaGrants (an sfu.Authorizer: the publish token, the view rule) and
// MediaAdmission (an sfu.Admission: offers per address per minute, viewer
// sessions per address and per user across nodes).
//
// # Configuration
//
// ConfigFromEnv reads these variables; Validate stops the server at start
// on any mistake (a client ID without its secret, a short key, plain http
// on a public address). Keys are base64 (standard or URL alphabet); make
// one with `openssl rand -base64 32`.
//
// | Variable | Default | Meaning |
// | --- | --- | --- |
// | `PUBLIC_URL` | (from cmd) | Site origin; callbacks are `PUBLIC_URL/auth/callback/{provider}`. `https` gives Secure cookies; plain `http` only on 127.0.0.1/localhost. |
// | `AUTH_JWT_KEY` | random in dev | HS256 key for access and viewer tokens, ≥ 32 bytes. Required unless PUBLIC_URL is loopback. |
// | `AUTH_COOKIE_HASH_KEY` | random in dev | HMAC key of the OAuth state cookie, 32 or 64 bytes. Required unless PUBLIC_URL is loopback. |
// | `AUTH_COOKIE_BLOCK_KEY` | random in dev | AES key of the OAuth state cookie, 16, 24 or 32 bytes. Required unless PUBLIC_URL is loopback. |
// | `AUTH_ACCESS_TTL` | `15m` | Life of an access token. |
// | `AUTH_REFRESH_TTL` | `720h` | Idle life of a session (each refresh extends it). |
// | `AUTH_SELLER_AUTO_APPROVE` | `false` | Grant the seller role on application, without an admin. |
// | `AUTH_TRUSTED_ORIGINS` | | Comma-separated extra origins allowed to POST cross-origin. |
// | `AUTH_RATE_LOGIN` | `20` | Logins, callbacks and guest sign-ins per client address per minute. |
// | `AUTH_RATE_TOKEN` | `60` | Refreshes, tickets and logouts per client address per minute. |
// | `AUTH_RATE_LIMIT_DISABLED` | `false` | Turn the limits off (load tests from one address). |
// | `AUTH_CLIENT_IP_HEADER` | | Removed, refused at start: the client address comes from the server's `TRUSTED_PROXIES`. |
// | `AUTH_GOOGLE_CLIENT_ID`, `AUTH_GOOGLE_CLIENT_SECRET` | | Enable Google. |
// | `AUTH_GITHUB_CLIENT_ID`, `AUTH_GITHUB_CLIENT_SECRET` | | Enable GitHub. |
// | `AUTH_KAKAO_CLIENT_ID`, `AUTH_KAKAO_CLIENT_SECRET` | | Enable Kakao. |
// | `AUTH_NAVER_CLIENT_ID`, `AUTH_NAVER_CLIENT_SECRET` | | Enable Naver. |
// | `AUTH_APPLE_CLIENT_ID` | | Enable Sign in with Apple (the Services ID). |
// | `AUTH_APPLE_CLIENT_SECRET` | | A ready-made Apple client secret (JWT), or else: |
// | `AUTH_APPLE_TEAM_ID`, `AUTH_APPLE_KEY_ID`, `AUTH_APPLE_PRIVATE_KEY` | | Make the Apple secret at start from the .p8 key (PEM), valid 180 days. |
// | `AUTH_OIDC_CLIENT_ID`, `AUTH_OIDC_CLIENT_SECRET` | | Enable a generic OpenID Connect provider. |
// | `AUTH_OIDC_DISCOVERY_URL` | | Its `.well-known/openid-configuration` (https). |
// | `AUTH_OIDC_LABEL` | `OpenID Connect` | Button text on the login page. |
// | `AUTH_{GOOGLE,GITHUB,KAKAO,APPLE,OIDC}_SCOPES` | per provider | Replace the requested scopes (comma or space separated). |
//
// Apple posts its answer cross-site, so its state cookie is SameSite=None
// and needs https even in development.
//
// # Wiring
//
//	cfg, err := auth.ConfigFromEnv(os.Getenv)
//	svc, err := auth.NewService(cfg, storage.NewUsers(db), rdb, log, auth.WithRooms(storage.NewRooms(db)))
//	mux.Handle("/auth/", svc.Routes())
//	mux.Handle("/api/", svc.CSRF(apiHandler))
//
// Authenticate answers ErrUnauthorized when a request carries no
// credentials; an adapter for the api package maps that to its anonymous
// Principal and every other error to api.ErrUnauthenticated.
//
// # Known limits
//
//   - Logout revokes the refresh family at once, but an access token already
//     issued stays valid until it expires (AUTH_ACCESS_TTL); there is no
//     per-token deny list.
//   - Two tabs refreshing with the same refresh token at the same moment
//     look like reuse: the loser's request revokes the family and both tabs
//     must sign in again. Pages should refresh from one place.
//   - goth's OpenID Connect provider does not check the ID token's signature
//     or a nonce; it reads the token straight from the token endpoint over
//     TLS, which OpenID Connect Core §3.1.3.7 permits. PKCE is added.
//   - goth's Apple provider exchanges codes with Go's default HTTP client
//     and fetches Apple's keys itself, so the Apple login is tested only up
//     to goth (form_post, cookies, CSRF exemption), not against Apple.
//
// Errors that reach clients are *Error values with stable codes; WriteError
// answers {"error":{"code":"...","message":"..."}}.
package auth
