package api

import "net/http"

// handlerFunc is the shape of every endpoint: it returns an error instead of
// writing one, so error mapping happens in one place (errors.go).
type handlerFunc func(w http.ResponseWriter, r *http.Request, p Principal) error

// route is one endpoint: its method, its path under Prefix in ServeMux
// syntax (which is also OpenAPI's path template syntax), what it demands of
// the caller, and its handler.
type route struct {
	Method  string
	Path    string
	Access  access
	handler func(s *server) handlerFunc
}

// routes is the API's whole surface. The mux is built from it and a test
// checks it against openapi.json in both directions.
func routes() []route {
	return []route{
		{"GET", "/openapi.json", public, func(s *server) handlerFunc { return s.openAPI }},

		{"POST", "/items", seller, func(s *server) handlerFunc { return s.createItem }},
		{"GET", "/items", seller, func(s *server) handlerFunc { return s.listItems }},
		{"GET", "/items/{id}", seller, func(s *server) handlerFunc { return s.getItem }},
		{"PATCH", "/items/{id}", seller, func(s *server) handlerFunc { return s.updateItem }},
		{"DELETE", "/items/{id}", seller, func(s *server) handlerFunc { return s.deleteItem }},
		{"POST", "/items/{id}/media", seller, func(s *server) handlerFunc { return s.uploadMedia }},
		{"DELETE", "/items/{id}/media/{media_id}", seller, func(s *server) handlerFunc { return s.deleteMedia }},
		{"POST", "/items/{id}/uploads", seller, func(s *server) handlerFunc { return s.createUpload }},
		{"HEAD", "/uploads/{upload_id}", seller, func(s *server) handlerFunc { return s.serveUpload }},
		{"PATCH", "/uploads/{upload_id}", seller, func(s *server) handlerFunc { return s.serveUpload }},
		{"DELETE", "/uploads/{upload_id}", seller, func(s *server) handlerFunc { return s.serveUpload }},

		{"POST", "/rooms", seller, func(s *server) handlerFunc { return s.createRoom }},
		{"GET", "/rooms", public, func(s *server) handlerFunc { return s.listRooms }},
		{"GET", "/rooms/{id}", public, func(s *server) handlerFunc { return s.getRoom }},
		{"GET", "/rooms/{id}/thumbnail", public, func(s *server) handlerFunc { return s.roomThumbnail }},
		{"PATCH", "/rooms/{id}", seller, func(s *server) handlerFunc { return s.updateRoom }},
		{"POST", "/rooms/{id}/schedule", seller, func(s *server) handlerFunc { return s.scheduleRoom }},
		{"POST", "/rooms/{id}/live", seller, func(s *server) handlerFunc { return s.goLive }},
		{"POST", "/rooms/{id}/publish-token", seller, func(s *server) handlerFunc { return s.rotatePublishToken }},
		{"POST", "/rooms/{id}/end", seller, func(s *server) handlerFunc { return s.endRoom }},

		{"GET", "/rooms/{id}/lots", public, func(s *server) handlerFunc { return s.listLots }},
		{"POST", "/rooms/{id}/lots", seller, func(s *server) handlerFunc { return s.addLot }},
		{"PUT", "/rooms/{id}/lots/order", seller, func(s *server) handlerFunc { return s.reorderLots }},
		{"GET", "/lots/{id}", public, func(s *server) handlerFunc { return s.getLot }},
		{"DELETE", "/lots/{id}", seller, func(s *server) handlerFunc { return s.removeLot }},

		{"GET", "/lots/{id}/result", public, func(s *server) handlerFunc { return s.lotResult }},
		{"GET", "/rooms/{id}/results", public, func(s *server) handlerFunc { return s.roomResults }},
		{"GET", "/lots/{id}/bids", public, func(s *server) handlerFunc { return s.lotBids }},
		{"GET", "/me/bids", signedIn, func(s *server) handlerFunc { return s.myBids }},
		{"GET", "/me/wins", signedIn, func(s *server) handlerFunc { return s.myWins }},
		{"GET", "/me/notifications", signedIn, func(s *server) handlerFunc { return s.myNotifications }},
		{"POST", "/me/notifications/read", signedIn, func(s *server) handlerFunc { return s.markNotificationsRead }},
		{"GET", "/me/following", signedIn, func(s *server) handlerFunc { return s.myFollowing }},
		{"GET", "/sellers/{id}/follow", signedIn, func(s *server) handlerFunc { return s.followState }},
		{"PUT", "/sellers/{id}/follow", signedIn, func(s *server) handlerFunc { return s.follow }},
		{"DELETE", "/sellers/{id}/follow", signedIn, func(s *server) handlerFunc { return s.unfollow }},

		{"POST", "/webhooks", seller, func(s *server) handlerFunc { return s.createWebhook }},
		{"GET", "/webhooks", seller, func(s *server) handlerFunc { return s.listWebhooks }},
		{"GET", "/webhooks/{id}", seller, func(s *server) handlerFunc { return s.getWebhook }},
		{"DELETE", "/webhooks/{id}", seller, func(s *server) handlerFunc { return s.deleteWebhook }},
		{"GET", "/webhooks/{id}/deliveries", seller, func(s *server) handlerFunc { return s.webhookDeliveries }},

		{"GET", "/cluster", admin, func(s *server) handlerFunc { return s.getCluster }},
	}
}

// Routes lists every API route as "METHOD /api/v1/path" in ServeMux syntax,
// for the server's table of who may call what.
func Routes() []string {
	out := make([]string, 0, len(routes()))
	for _, rt := range routes() {
		out = append(out, rt.Method+" "+Prefix+rt.Path)
	}
	return out
}
