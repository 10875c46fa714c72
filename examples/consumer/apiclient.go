package consumer

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/parashift-mock/parashift-mock/mockplatform"
)

// apiMediaType is the JSON:API media type of the platform's REST API.
const apiMediaType = "application/vnd.api+json"

// apiClient reads documents from the platform's REST API.
type apiClient struct {
	baseURL string
	// token is sent in the Authorization header only; it never appears
	// in op strings, logs or errors.
	token   string
	retrier *retrier
}

// documentResponse is the part of GET /v2/documents/{id} the consumer
// reads. Other members are ignored, so new attributes do not break it.
type documentResponse struct {
	Data struct {
		ID         string `json:"id"`
		Attributes struct {
			Status mockplatform.Status `json:"status"`
		} `json:"attributes"`
	} `json:"data"`
}

// documentStatus returns the document's status as the REST API reports
// it, with the retries of c.retrier. A 404 error satisfies isNotFound.
func (c *apiClient) documentStatus(ctx context.Context, id int64) (mockplatform.Status, error) {
	path := "/v2/documents/" + strconv.FormatInt(id, 10)
	body, err := c.retrier.do(ctx, "GET "+path, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.baseURL+path, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("Accept", apiMediaType)
		return req, nil
	})
	if err != nil {
		return "", err
	}
	var doc documentResponse
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("GET %s: decode response: %w", path, err)
	}
	if doc.Data.Attributes.Status == "" {
		return "", fmt.Errorf("GET %s: the response has no data.attributes.status", path)
	}
	return doc.Data.Attributes.Status, nil
}
