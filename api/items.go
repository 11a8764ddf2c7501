package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/bidcast/bidcast/storage"
)

// itemJSON is an item as the API shows it to its seller.
type itemJSON struct {
	ID          string      `json:"id"`
	SellerID    string      `json:"seller_id"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	Category    string      `json:"category"`
	Media       []mediaJSON `json:"media"`
	Version     int64       `json:"version"`
	CreatedAt   time.Time   `json:"created_at"`
	UpdatedAt   time.Time   `json:"updated_at"`
}

// mediaJSON references a picture or clip of an item. Media are uploaded and
// processed by the media service; the API lists them in display order.
type mediaJSON struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	Status      string `json:"status"`
	ContentType string `json:"content_type"`
	Width       *int32 `json:"width,omitempty"`
	Height      *int32 `json:"height,omitempty"`
	DurationMS  *int32 `json:"duration_ms,omitempty"`
	Position    int    `json:"position"`
	// FailureReason says why processing failed (status failed).
	FailureReason string `json:"failure_reason,omitempty"`
	// URLs are the processed files by role once status is ready: "w320"
	// and "w1280" for images, "hls" (master playlist) and "poster" for
	// videos.
	URLs map[string]string `json:"urls,omitempty"`
}

func (s *server) toItemJSON(it storage.Item, media []storage.MediaRef) itemJSON {
	return itemJSON{ID: it.ID, SellerID: it.SellerID, Title: it.Title, Description: it.Description,
		Category: it.Category, Version: it.Version, CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt,
		Media: mapSlice(media, s.toMediaJSON)}
}

// itemInput is the body of create (all of title required) and update
// (every field optional: absent fields keep their value).
type itemInput struct {
	Title       *string `json:"title"`
	Description *string `json:"description"`
	Category    *string `json:"category"`
}

// apply validates the given fields and writes them over it.
func (in itemInput) apply(it *storage.Item) error {
	if in.Title != nil {
		if err := checkText("title", *in.Title, 1, 200); err != nil {
			return err
		}
		it.Title = *in.Title
	}
	if in.Description != nil {
		if err := checkText("description", *in.Description, 0, 10000); err != nil {
			return err
		}
		it.Description = *in.Description
	}
	if in.Category != nil {
		if err := checkText("category", *in.Category, 0, 64); err != nil {
			return err
		}
		it.Category = *in.Category
	}
	return nil
}

func (s *server) createItem(w http.ResponseWriter, r *http.Request, p Principal) error {
	var in itemInput
	if err := s.decode(w, r, &in); err != nil {
		return err
	}
	if in.Title == nil {
		return invalid("title", "is required")
	}
	it := storage.Item{SellerID: p.UserID}
	if err := in.apply(&it); err != nil {
		return err
	}
	out, err := s.items.Create(r.Context(), it)
	if err != nil {
		return err
	}
	w.Header().Set("Location", Prefix+"/items/"+out.ID)
	setETag(w, out.Version)
	writeJSON(w, http.StatusCreated, s.toItemJSON(out, nil))
	return nil
}

// ownItem loads an item the caller may change. Someone else's item is
// reported as missing, so its existence is not revealed.
func (s *server) ownItem(ctx context.Context, p Principal, id string) (storage.Item, error) {
	it, err := s.items.Get(ctx, id)
	if err != nil {
		return storage.Item{}, err
	}
	if !p.Owns(it.SellerID) {
		return storage.Item{}, errNotFound
	}
	return it, nil
}

func (s *server) getItem(w http.ResponseWriter, r *http.Request, p Principal) error {
	it, err := s.ownItem(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	media, err := s.items.MediaOf(r.Context(), []string{it.ID})
	if err != nil {
		return err
	}
	setETag(w, it.Version)
	writeJSON(w, http.StatusOK, s.toItemJSON(it, media[it.ID]))
	return nil
}

func (s *server) listItems(w http.ResponseWriter, r *http.Request, p Principal) error {
	pg, err := s.keyPage(r)
	if err != nil {
		return err
	}
	rows, err := s.items.ListBySellerAfter(r.Context(), p.UserID, pg.After(), pg.Limit+1)
	if err != nil {
		return err
	}
	rows, next := trimPage(rows, pg.Limit, func(it storage.Item) string {
		return keyCursor(storage.PageKey{At: it.CreatedAt, ID: it.ID})
	})
	ids := mapSlice(rows, func(it storage.Item) string { return it.ID })
	media, err := s.items.MediaOf(r.Context(), ids)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageOf[itemJSON]{NextCursor: next,
		Items: mapSlice(rows, func(it storage.Item) itemJSON { return s.toItemJSON(it, media[it.ID]) })})
	return nil
}

func (s *server) updateItem(w http.ResponseWriter, r *http.Request, p Principal) error {
	it, err := s.ownItem(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	var in itemInput
	if err := s.decode(w, r, &in); err != nil {
		return err
	}
	if it.Version, err = ifMatch(r, it.Version); err != nil {
		return err
	}
	if err := in.apply(&it); err != nil {
		return err
	}
	out, err := s.items.Update(r.Context(), it)
	if errors.Is(err, storage.ErrConflict) {
		return errStale
	}
	if err != nil {
		return err
	}
	media, err := s.items.MediaOf(r.Context(), []string{out.ID})
	if err != nil {
		return err
	}
	setETag(w, out.Version)
	writeJSON(w, http.StatusOK, s.toItemJSON(out, media[out.ID]))
	return nil
}

func (s *server) deleteItem(w http.ResponseWriter, r *http.Request, p Principal) error {
	it, err := s.ownItem(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := optionalIfMatch(r, it.Version); err != nil {
		return err
	}
	err = s.items.Delete(r.Context(), it.ID)
	if errors.Is(err, storage.ErrConflict) {
		return conflict("the item is a lot in a room; remove the lot first")
	}
	if err != nil {
		return err
	}
	s.deleteItemFiles(r.Context(), it.ID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
