package qualysint

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/qgraph/qgraph/internal/config"
	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/integration"
	"github.com/qgraph/qgraph/internal/mapper"
	"github.com/qgraph/qgraph/internal/qualys"
	"github.com/qgraph/qgraph/internal/store"
)

// SyncOptions configure one sync of an instance.
type SyncOptions struct {
	Store    store.Store
	Instance config.Instance
	// Full runs a reconcile: everything is read, and findings Qualys no
	// longer reports are deleted.
	Full bool
	// Client reaches Qualys; nil means a qualys.Client made from the
	// instance's settings with HTTPClient.
	Client     Client
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Now is the clock that bounds the time windows; nil means time.Now.
	Now func() time.Time
	// OnProgress receives the engine's progress notifications.
	OnProgress func(integration.Progress)
	// AfterCommit runs after the sync committed; nil means the mapper
	// with the rules of its last run (the default rules on a new store),
	// which resolves the mapped relationships the job stored (host SCANS
	// and HAS links, CVE links).
	AfterCommit func(ctx context.Context) (any, error)
	// SkipMapper leaves mapped relationships unresolved (AfterCommit nil).
	SkipMapper bool
	// BatchSize is the number of objects per store batch.
	BatchSize int
	// JobID names the job; empty means a generated one.
	JobID string
}

// ErrCredentials is wrapped when Qualys refuses the instance's credentials.
var ErrCredentials = errors.New("qualys refused the credentials")

// ErrExpired is wrapped when Qualys says the instance's subscription or
// evaluation has expired.
var ErrExpired = errors.New("the qualys subscription has expired")

// NewClient makes the Qualys client of an instance.
func NewClient(inst config.Instance, httpClient *http.Client, logger *slog.Logger) (*qualys.Client, error) {
	c, err := qualys.New(qualys.Options{
		APIURL:     inst.Qualys.APIURL,
		Username:   inst.Qualys.Username,
		Password:   inst.Qualys.Password,
		HTTPClient: httpClient,
		Logger:     logger,
	})
	if err != nil {
		return nil, fmt.Errorf("qualys client for instance %s: %w", inst.Name, err)
	}
	return c, nil
}

// Sync runs one job for an instance: it checks the credentials, runs the
// Qualys steps into one store sync, and records the job and the instance
// state. The report is returned whenever a job ran, also when it failed.
func Sync(ctx context.Context, o SyncOptions) (*integration.Report, error) {
	inst := o.Instance
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	client := o.Client
	if client == nil {
		c, err := NewClient(inst, o.HTTPClient, logger)
		if err != nil {
			return nil, err
		}
		client = c
	}
	pv, err := client.PortalVersion(ctx)
	if err != nil {
		var api *qualys.APIError
		if errors.As(err, &api) && api.IsExpired() {
			return nil, fmt.Errorf("instance %s: %w: %v", inst.Name, ErrExpired, err)
		}
		if errors.As(err, &api) && api.IsAuth() {
			return nil, fmt.Errorf("instance %s: %w: %v", inst.Name, ErrCredentials, err)
		}
		return nil, fmt.Errorf("instance %s: check Qualys access (portal version): %w", inst.Name, err)
	}
	var props graph.Properties
	if inst.TagWithAccountName {
		props = graph.Properties{"tag.AccountName": inst.Name}
	}
	after := o.AfterCommit
	if after == nil && !o.SkipMapper {
		// Without rules of its own, the mapper keeps the rules of its last
		// run, so a store's configured rules are not dropped here.
		after = func(ctx context.Context) (any, error) {
			rules, err := mapper.AppliedRules(ctx, o.Store)
			if err != nil {
				return nil, fmt.Errorf("read the mapping rules of the last run: %w", err)
			}
			return mapper.New(o.Store, mapper.Options{Rules: rules, Logger: logger}).Resolve(ctx)
		}
	}
	logger.Info("sync started", "instance", inst.Name, "full", o.Full, "apiUrl", client.APIURL())
	rep, err := integration.Run(ctx, integration.JobSpec{
		Store:            o.Store,
		Scope:            store.InstanceScope(inst.Name),
		Instance:         inst.Name,
		JobID:            o.JobID,
		Full:             o.Full,
		Steps:            Steps(inst, client, pv, o.Full),
		EntityProperties: props,
		AfterCommit:      after,
		OnProgress:       o.OnProgress,
		Logger:           logger,
		Now:              o.Now,
		BatchSize:        o.BatchSize,
	})
	if err != nil {
		return rep, fmt.Errorf("instance %s: %w", inst.Name, err)
	}
	return rep, nil
}
