package media

// This file adapts the service to the JSON API (package api), which
// declares the interface it needs (api.Media) and reaches these methods
// through it: the API owns the routes, the media package the checks.

// multipartSlack is what the multipart framing may add to a file's size.
const multipartSlack = 1 << 20

// MaxUploadBytes bounds a whole upload request: the larger of the two
// per-kind caps plus room for the multipart framing. The per-kind cap is
// applied again to the file itself once its type is known.
func (s *Service) MaxUploadBytes() int64 {
	return max(s.cfg.MaxImageBytes, s.cfg.MaxVideoBytes) + multipartSlack
}
