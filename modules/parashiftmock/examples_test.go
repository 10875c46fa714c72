package parashiftmock_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/testcontainers/testcontainers-go"

	"github.com/parashift-mock/parashift-mock/mockplatform"
	"github.com/parashift-mock/parashift-mock/mockplatform/clock"
	"github.com/parashift-mock/parashift-mock/mockplatform/controlapi"
	"github.com/parashift-mock/parashift-mock/modules/parashiftmock"
)

func ExampleRun() {
	ctx := context.Background()
	ctr, err := parashiftmock.Run(ctx, "parashift-mock:dev",
		parashiftmock.WithManualClock(),
		parashiftmock.WithSeed(7),
		// Nothing listens on port 9 inside the container, so every
		// attempt is refused.
		parashiftmock.WithSubscription(mockplatform.Subscription{
			ID:     "nobody",
			URL:    "http://127.0.0.1:9/webhooks",
			Topics: []mockplatform.Topic{mockplatform.TopicProcessingFinished},
		}),
	)
	defer func() {
		if err := testcontainers.TerminateContainer(ctr); err != nil {
			log.Printf("terminate: %v", err)
		}
	}()
	if err != nil {
		log.Printf("run: %v", err)
		return
	}

	c := ctr.Client()
	docs, err := c.CreateDocuments(ctx, mockplatform.ControlUpload{ExternalID: "INV-1"})
	if err != nil {
		log.Printf("create: %v", err)
		return
	}
	// 18 hours of platform time cover the whole retry schedule.
	if _, err := c.Advance(ctx, 18*time.Hour); err != nil {
		log.Printf("advance: %v", err)
		return
	}
	doc, err := c.Document(ctx, docs[0].ID)
	if err != nil {
		log.Printf("document: %v", err)
		return
	}
	events, _, err := c.Events(ctx, controlapi.Filter{DocumentID: doc.ID})
	if err != nil {
		log.Printf("events: %v", err)
		return
	}
	fmt.Println("document", doc.ExternalID, "is", doc.Status)
	for _, e := range events {
		fmt.Printf("%s: %s after %d attempts\n", e.Topic, e.State, e.Attempts)
	}
	// Output:
	// document INV-1 is done
	// processing-finished: lost after 9 attempts
}

// uploadTwo creates two documents through any platform's control API
// and returns the first id.
func uploadTwo(ctx context.Context, c *controlapi.Client) (int64, error) {
	docs, err := c.CreateDocuments(ctx, mockplatform.ControlUpload{Count: 2})
	if err != nil {
		return 0, err
	}
	return docs[0].ID, nil
}

// One client type reaches a platform in the test's own process and one
// in a container, so a test can run against either.
func ExampleContainer_Client() {
	ctx := context.Background()

	p, err := mockplatform.Start(mockplatform.Options{Clock: clock.NewManual(time.Now())})
	if err != nil {
		log.Printf("start: %v", err)
		return
	}
	defer p.Close()
	local, err := controlapi.New(p.URL())
	if err != nil {
		log.Printf("client: %v", err)
		return
	}

	ctr, err := parashiftmock.Run(ctx, "parashift-mock:dev", parashiftmock.WithManualClock())
	defer func() {
		if err := testcontainers.TerminateContainer(ctr); err != nil {
			log.Printf("terminate: %v", err)
		}
	}()
	if err != nil {
		log.Printf("run: %v", err)
		return
	}

	for _, target := range []struct {
		name   string
		client *controlapi.Client
	}{{"in-process", local}, {"container", ctr.Client()}} {
		id, err := uploadTwo(ctx, target.client)
		if err != nil {
			log.Printf("%s: %v", target.name, err)
			return
		}
		fmt.Printf("%s: first document %d\n", target.name, id)
	}
	// Output:
	// in-process: first document 100001
	// container: first document 100001
}
