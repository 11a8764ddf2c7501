// Package namespace keeps what one Bidcast deployment names in Redis apart
// from another deployment's on the same Redis database.
//
// Most of Bidcast's Redis keys carry a room's, a bidder's or a lot's UUID, so
// two deployments (staging and production, say, or two test servers on
// their own Postgres databases) never meet in them. A few names do not: the
// background task queues (lots, notify, webhooks, media), the cluster's
// node registry and the index of room lease expiries. Without a namespace
// one deployment's worker would take the other's tasks and find nothing in
// its own database (a lot's close backstop or an upload's processing lost),
// and its nodes would place media on the other's nodes.
//
// A Namespace is chosen once per deployment: by default from the
// deployment's ID, which the first migration of its Postgres database
// stores (so every node of one cluster agrees on it, and two databases
// differ), or set by the operator (REDIS_NAMESPACE) where a database was
// copied from another deployment. None is the names of releases before
// namespaces; servers keep draining those queues of tasks enqueued before
// an upgrade (see Legacy).
//
// The functions are pure and safe for concurrent use.
package namespace
