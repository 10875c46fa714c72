package consumer

import (
	"context"
	"time"
)

// pollStormInterval is the tick of DefectPollStorm.
const pollStormInterval = 10 * time.Millisecond

// runPoller polls overdue documents every PollInterval until ctx is
// done. The platform gives up on a webhook after its last retry, about
// 17 hours after the event, and its documentation advises consumers to
// poll for documents that are overdue. Polling also covers webhooks
// dropped on the way.
func (c *Consumer) runPoller(ctx context.Context) {
	if c.cfg.Defect == DefectNoPolling {
		c.log.Warn("polling disabled", "defect", c.cfg.Defect)
		return
	}
	interval := c.cfg.PollInterval
	if c.cfg.Defect == DefectPollStorm {
		interval = pollStormInterval
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			c.pollDue(ctx)
		}
	}
}

// pollDue polls, one after another, every document that is due now.
// Each poll waits for the rate limiter inside the API client, so a long
// list can take longer than a tick. Every document is checked again
// just before its poll, because a webhook may have arrived meanwhile.
func (c *Consumer) pollDue(ctx context.Context) {
	sel := c.pollSelection()
	for _, id := range c.state.duePolls(time.Now(), sel) {
		if ctx.Err() != nil {
			return
		}
		if c.state.claimPoll(id, time.Now(), sel) {
			c.poll(ctx, id)
		}
	}
}

// pollSelection returns which documents are due, as the defect, if
// any, changes it.
func (c *Consumer) pollSelection() pollSelection {
	sel := pollSelection{overdue: c.cfg.Overdue, notFoundWait: c.cfg.NotFoundWait}
	switch c.cfg.Defect {
	case DefectPollStorm:
		sel.overdue = 0
	case DefectPollTerminal:
		sel.terminal = true
	}
	return sel
}

// poll requests one document's status from the REST API and applies
// it.
func (c *Consumer) poll(ctx context.Context, id int64) {
	status, err := c.api.documentStatus(ctx, id)
	switch {
	case err == nil:
		if c.state.applyPoll(id, status) {
			c.log.Info("poll changed document status", "document", id, "status", status)
		}
	case isNotFound(err):
		// A webhook announced the document, so the API shows it later;
		// an immediate retry cannot help.
		c.state.markNotFound(id, time.Now())
		c.log.Warn("document not found, next poll after the not-found wait", "document", id, "wait", c.cfg.NotFoundWait, "error", err)
	case ctx.Err() != nil:
		c.log.Debug("poll cancelled by shutdown", "document", id)
	default:
		c.log.Error("poll failed, next try once the document is overdue again", "document", id, "error", err)
	}
}
