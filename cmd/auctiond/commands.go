package main

import (
	"context"
	"errors"

	"github.com/bidcast/bidcast/bidding"
	"github.com/bidcast/bidcast/signaling"
)

// sellerCommands gives the gateway bidding's command runner in the
// gateway's types: the command converts field for field, and a refusal's
// kind becomes the protocol's error code.
type sellerCommands struct{ run *bidding.Commands }

var _ signaling.Commander = sellerCommands{}

// Command implements signaling.Commander.
func (c sellerCommands) Command(ctx context.Context, roomID string, _ signaling.Identity, cmd signaling.Command) error {
	err := c.run.Run(ctx, roomID, bidding.Command(cmd))
	var ce *bidding.CommandError
	if !errors.As(err, &ce) {
		return err
	}
	code := signaling.CodeConflict
	switch {
	case errors.Is(ce, bidding.ErrCommandUnavailable):
		code = signaling.CodeUnavailable
	case errors.Is(ce, bidding.ErrUnknownCommand):
		code = signaling.CodeBadRequest
	}
	return signaling.Errorf(code, ce.Message)
}
