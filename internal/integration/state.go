package integration

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/qgraph/qgraph/internal/store"
)

// stateName is the name of the instance state in the store's state table.
const stateName = "integration"

// InstanceState is what the engine remembers about an instance between
// jobs.
type InstanceState struct {
	// HighWaterMarks are, per dataset, the end of the last window read
	// completely.
	HighWaterMarks map[string]time.Time `json:"highWaterMarks"`
	// LastJobID and LastJobStatus describe the most recent job.
	LastJobID     string    `json:"lastJobId,omitempty"`
	LastJobStatus Status    `json:"lastJobStatus,omitempty"`
	LastJobAt     time.Time `json:"lastJobAt,omitempty"`
	// LastFullAt is the start of the last reconcile run that committed.
	LastFullAt time.Time `json:"lastFullAt,omitempty"`
}

// LoadState reads the state of a scope; a scope without state gets an empty
// one.
func LoadState(ctx context.Context, st store.Store, scope string) (*InstanceState, error) {
	var s InstanceState
	err := st.GetState(ctx, scope, stateName, &s)
	if errors.Is(err, store.ErrNotFound) {
		err = nil
	}
	if err != nil {
		return nil, fmt.Errorf("load state of %s: %w", scope, err)
	}
	if s.HighWaterMarks == nil {
		s.HighWaterMarks = map[string]time.Time{}
	}
	return &s, nil
}

// SaveState writes the state of a scope.
func SaveState(ctx context.Context, st store.Store, scope string, s *InstanceState) error {
	if err := st.PutState(ctx, scope, stateName, s); err != nil {
		return fmt.Errorf("save state of %s: %w", scope, err)
	}
	return nil
}
