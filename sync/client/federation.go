package client

import (
	"context"

	"github.com/fieldreg/fieldreg/sync/wire"
)

// Elsewhere asks the device's hub whether a person was registered in another
// country (the hub asks the regional joint database).
func (c *Client) Elsewhere(ctx context.Context, req *wire.ElsewhereRequest) (*wire.ElsewhereReply, error) {
	var rep wire.ElsewhereReply
	if err := c.postJSON(ctx, "elsewhere", wire.PathElsewhere, req, &rep); err != nil {
		return nil, err
	}
	return &rep, nil
}

// FedPush sends one batch of index entries to the regional hub.
func (c *Client) FedPush(ctx context.Context, req *wire.FedPush) (*wire.FedPushReply, error) {
	var rep wire.FedPushReply
	if err := c.postJSON(ctx, "federation push", wire.PathFedPush, req, &rep); err != nil {
		return nil, err
	}
	return &rep, nil
}

// FedQuery asks the regional hub about a person's tokens.
func (c *Client) FedQuery(ctx context.Context, req *wire.FedQuery) (*wire.ElsewhereReply, error) {
	var rep wire.ElsewhereReply
	if err := c.postJSON(ctx, "federation query", wire.PathFedQuery, req, &rep); err != nil {
		return nil, err
	}
	return &rep, nil
}
