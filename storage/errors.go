package storage

import "errors"

// ErrNotFound is returned when a row asked for by ID does not exist.
var ErrNotFound = errors.New("storage: not found")

// ErrConflict is returned when a write loses an optimistic version check or
// breaks a uniqueness rule, so the caller can tell the client to reload.
var ErrConflict = errors.New("storage: conflict")

// ErrInvalid is returned when a value breaks a rule the schema enforces, such
// as an empty title or a negative price.
var ErrInvalid = errors.New("storage: invalid value")

// ErrLimit is returned when a write would take an owner past a cap (the
// webhooks a seller may register, a seller's media quota). It wraps the
// more precise sentinels of the repositories that enforce caps.
var ErrLimit = errors.New("storage: limit reached")
