package qualys

import (
	"context"
	"errors"
)

var errNotBuilt = errors.New("qualys: not implemented yet")

// PortalVersion fetches the portal and module versions. It is also the
// credential check: bad credentials give an *APIError matching ErrAuth.
func (c *Client) PortalVersion(ctx context.Context) (*PortalVersion, error) {
	return nil, errNotBuilt
}

// ScannedHostIDs lists the IDs of scanned hosts, following the truncation
// WARNING/URL from page to page, and calls fn with each ID in order.
func (c *Client) ScannedHostIDs(ctx context.Context, p HostListParams, fn func(id int64) error) error {
	return errNotBuilt
}

// HostAssets fetches the Asset Management host assets of p.HostIDs, chunk
// by chunk (several chunks in parallel), and calls fn with each asset.
func (c *Client) HostAssets(ctx context.Context, p HostAssetParams, fn func(*HostAsset) error) error {
	return errNotBuilt
}

// HostDetections fetches the detections of p.HostIDs, chunk by chunk with
// several chunks in flight within the subscription's limits, and calls fn
// with each host and its detections. fn is never called concurrently.
func (c *Client) HostDetections(ctx context.Context, p DetectionParams, fn func(*DetectionHost) error) error {
	return errNotBuilt
}

// KnowledgeBase fetches the vulnerabilities of p.QIDs, chunk by chunk, and
// calls fn with each. Unknown QIDs are left out, as Qualys does.
func (c *Client) KnowledgeBase(ctx context.Context, p KBParams, fn func(*Vuln) error) error {
	return errNotBuilt
}

// WebApps searches WAS web apps, page by page, and calls fn with each.
func (c *Client) WebApps(ctx context.Context, p WebAppParams, fn func(*WebApp) error) error {
	return errNotBuilt
}

// CountWebApps returns how many web apps match p.
func (c *Client) CountWebApps(ctx context.Context, p WebAppParams) (int64, error) {
	return 0, errNotBuilt
}

// WebAppFindings searches WAS findings, page by page, and calls fn with each.
func (c *Client) WebAppFindings(ctx context.Context, p FindingParams, fn func(*Finding) error) error {
	return errNotBuilt
}
