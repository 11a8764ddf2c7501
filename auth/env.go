package auth

import "github.com/bidcast/bidcast/internal/envconf"

// Env documents every AUTH_* variable ConfigFromEnv and ProvidersFromEnv
// read, for `auctiond help` (the WHIP/WHEP caps are MediaEnv). A test holds
// it to the names the code reads.
var Env = []envconf.Var{
	{Name: "AUTH_JWT_KEY", Default: "random on loopback", Help: "base64 HS256 key (≥ 32 bytes) of access and viewer tokens and of the bidder aliases; the same on every node; required unless PUBLIC_URL is loopback"},
	{Name: "AUTH_COOKIE_HASH_KEY", Default: "random on loopback", Help: "base64 HMAC key of the OAuth state cookie (32 or 64 bytes); required unless loopback"},
	{Name: "AUTH_COOKIE_BLOCK_KEY", Default: "random on loopback", Help: "base64 AES key of the OAuth state cookie (16, 24 or 32 bytes); required unless loopback"},
	{Name: "AUTH_ACCESS_TTL", Default: "15m", Help: "life of an access token"},
	{Name: "AUTH_REFRESH_TTL", Default: "720h", Help: "idle life of a session (each refresh extends it)"},
	{Name: "AUTH_SELLER_AUTO_APPROVE", Default: "false", Help: "grant the seller role on application, without an admin"},
	{Name: "AUTH_TRUSTED_ORIGINS", Default: "", Help: "comma-separated extra origins allowed to POST cross-origin"},
	{Name: "AUTH_RATE_LOGIN", Default: "20", Help: "logins, callbacks and guest sign-ins per client address per minute"},
	{Name: "AUTH_RATE_TOKEN", Default: "60", Help: "refreshes, tickets and logouts per client address per minute"},
	{Name: "AUTH_RATE_LIMIT_DISABLED", Default: "false", Help: "turn the sign-in rate limits off (load tests from one address)"},
	{Name: "AUTH_GOOGLE_CLIENT_ID", Default: "", Help: "with AUTH_GOOGLE_CLIENT_SECRET: enable Google sign-in (callback PUBLIC_URL/auth/callback/google)"},
	{Name: "AUTH_GITHUB_CLIENT_ID", Default: "", Help: "with AUTH_GITHUB_CLIENT_SECRET: enable GitHub sign-in"},
	{Name: "AUTH_KAKAO_CLIENT_ID", Default: "", Help: "with AUTH_KAKAO_CLIENT_SECRET: enable Kakao sign-in"},
	{Name: "AUTH_NAVER_CLIENT_ID", Default: "", Help: "with AUTH_NAVER_CLIENT_SECRET: enable Naver sign-in"},
	{Name: "AUTH_APPLE_CLIENT_ID", Default: "", Help: "enable Sign in with Apple (the Services ID), with AUTH_APPLE_CLIENT_SECRET or with AUTH_APPLE_TEAM_ID, AUTH_APPLE_KEY_ID and AUTH_APPLE_PRIVATE_KEY (the .p8 key, PEM)"},
	{Name: "AUTH_OIDC_CLIENT_ID", Default: "", Help: "with AUTH_OIDC_CLIENT_SECRET and AUTH_OIDC_DISCOVERY_URL (https): enable a generic OpenID Connect provider; AUTH_OIDC_LABEL is its button text"},
	{Name: "AUTH_{PROVIDER}_SCOPES", Default: "per provider", Help: "replace the scopes requested of GOOGLE, GITHUB, KAKAO, APPLE or OIDC (comma or space separated)"},
}

// envNamesRead are the AUTH_* names the code reads beyond Env's own: each
// is explained in the Help of the Env entry named beside it.
var envNamesRead = map[string]string{
	"AUTH_GOOGLE_CLIENT_SECRET": "AUTH_GOOGLE_CLIENT_ID", "AUTH_GITHUB_CLIENT_SECRET": "AUTH_GITHUB_CLIENT_ID",
	"AUTH_KAKAO_CLIENT_SECRET": "AUTH_KAKAO_CLIENT_ID", "AUTH_NAVER_CLIENT_SECRET": "AUTH_NAVER_CLIENT_ID",
	"AUTH_APPLE_CLIENT_SECRET": "AUTH_APPLE_CLIENT_ID", "AUTH_APPLE_TEAM_ID": "AUTH_APPLE_CLIENT_ID",
	"AUTH_APPLE_KEY_ID": "AUTH_APPLE_CLIENT_ID", "AUTH_APPLE_PRIVATE_KEY": "AUTH_APPLE_CLIENT_ID",
	"AUTH_OIDC_CLIENT_SECRET": "AUTH_OIDC_CLIENT_ID", "AUTH_OIDC_DISCOVERY_URL": "AUTH_OIDC_CLIENT_ID",
	"AUTH_OIDC_LABEL": "AUTH_OIDC_CLIENT_ID",
}
