// Package api is Bidcast's JSON HTTP API under /api/v1: sellers manage their
// catalogue (items), their shows (rooms) and the lots in them; anyone reads
// public rooms, lots, results and bid histories; signed-in users read their
// own bids and wins; sellers register webhooks that receive signed
// lot.closed events; admins list the nodes of the cluster (GET /cluster,
// from the registry of package cluster).
//
// The whole surface is described by an OpenAPI 3 document kept beside the
// code (openapi.json, served at GET /api/v1/openapi.json). The route table
// in routes.go is the single list of endpoints: the mux is built from it and
// a test checks it against the document both ways, so the two cannot drift.
//
// Conventions every handler follows:
//
//   - Errors are {"error":{"code","message","field"}} with a stable code.
//   - Request bodies are JSON objects of at most Config.MaxBodyBytes, unknown
//     fields are refused, and money is int64 minor units beside an ISO 4217
//     currency code: numbers with a fraction or an exponent are refused.
//   - Updates need If-Match with the ETag of the version the client read; a
//     missing If-Match is 428, a stale one 412, so two editors never
//     silently overwrite each other.
//   - Listings page with opaque cursors over the sort key (keyset
//     pagination), so pages stay stable while rows are inserted.
//   - A resource the caller may not see answers 404, exactly as one that
//     does not exist, so IDs of other sellers' things cannot be probed.
//
// Handlers see the caller through the small Authenticator and RoomViewer
// interfaces declared here (tests give fakes); AuthService answers both
// with the auth package's rules, mapping its errors to the API's codes.
//
// Wiring, in cmd/auctiond:
//
//	as := api.AuthService{Svc: authSvc}
//	h, err := api.New(cfg, api.Deps{DB: db, Redis: rdb, Auth: as, Views: as, Log: log})
//	mux.Handle(api.Prefix+"/", h)
//	go api.RunWebhookWorker(ctx, cfg, api.Deps{DB: db, Redis: rdb, Log: log, Tasks: asynqClient})
//
// and, as a subscriber to the room events of the node that owns the rooms
// (events.Subscriber), the trigger that queues each lot.closed webhook from
// the event itself, with the same client (one Asynq client per process):
//
//	trigger := api.NewWebhookTrigger(asynqClient, log)
//	feed.Subscribe(trigger)
//	go trigger.Run(ctx)
package api
