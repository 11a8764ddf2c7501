package metrics

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bidcast/bidcast/media"
)

type fakeUploads media.UploadStats

func (f fakeUploads) UploadStats() media.UploadStats { return media.UploadStats(f) }

// TestUploadsCollector serves the tus counters as they are at scrape time.
func TestUploadsCollector(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewUploadsCollector(fakeUploads{BytesReceived: 6291456, Created: 2, Finished: 1, Refused: 1, Expired: 3}))
	rec := httptest.NewRecorder()
	Handler(reg).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, want := range []string{
		"bidcast_media_tus_bytes_received_total 6.291456e+06",
		"bidcast_media_tus_uploads_created_total 2",
		"bidcast_media_tus_uploads_finished_total 1",
		"bidcast_media_tus_uploads_refused_total 1",
		"bidcast_media_tus_uploads_expired_total 3",
	} {
		if !strings.Contains(rec.Body.String(), want+"\n") {
			t.Errorf("no %q in:\n%s", want, rec.Body.String())
		}
	}
}
