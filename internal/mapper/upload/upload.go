package upload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/qgraph/qgraph/internal/store"
)

// Params configure Run.
type Params struct {
	// Scope is the full scope name, e.g. store.UploadScope("aws").
	Scope string
	// Mode is store.Replace (the scope becomes the file) or store.Merge.
	Mode store.SyncMode
	// JobID labels the versions and changes written; default
	// "upload-<unix nanos>".
	JobID string
	// Now stamps the sync; zero means time.Now.
	Now time.Time
	// BatchSize is how many objects go into one Put; default 5000.
	BatchSize int
}

// Result reports a stored upload.
type Result struct {
	Scope         string            `json:"scope"`
	JobID         string            `json:"jobId"`
	Entities      int               `json:"entities"`
	Relationships int               `json:"relationships"`
	Mappings      int               `json:"mappedRelationships"`
	Sync          *store.SyncResult `json:"sync"`
}

// Run reads an upload file from r and syncs it into p.Scope. A file with
// any invalid object is rejected whole with an *InvalidError and nothing is
// stored.
func Run(ctx context.Context, st store.Store, r io.Reader, p Params) (*Result, error) {
	if p.Scope == "" {
		return nil, errors.New("upload: no scope given")
	}
	if p.BatchSize <= 0 {
		p.BatchSize = 5000
	}
	if p.Now.IsZero() {
		p.Now = time.Now()
	}
	if p.JobID == "" {
		p.JobID = fmt.Sprintf("upload-%d", p.Now.UnixNano())
	}
	rd, err := newReader(r)
	if err != nil {
		return nil, err
	}
	sess, err := st.BeginSync(ctx, store.SyncParams{Scope: p.Scope, JobID: p.JobID, Mode: p.Mode, Now: p.Now})
	if err != nil {
		return nil, fmt.Errorf("begin sync of %s: %w", p.Scope, err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = sess.Abort(context.WithoutCancel(ctx))
		}
	}()
	res := &Result{Scope: p.Scope, JobID: p.JobID}
	var (
		batch    store.Batch
		problems []Problem
		objects  int
	)
	flush := func() error {
		if len(batch.Entities)+len(batch.Relationships)+len(batch.Mappings) == 0 {
			return nil
		}
		if err := sess.Put(ctx, batch); err != nil {
			return fmt.Errorf("stage upload objects: %w", err)
		}
		batch = store.Batch{}
		return nil
	}
	for {
		it, err := rd.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		objects++
		obj, probs := decode(it)
		if len(probs) > 0 {
			problems = append(problems, probs...)
			continue
		}
		if len(problems) > 0 {
			continue // the file is rejected; only keep checking
		}
		switch {
		case obj.Entity != nil:
			batch.Entities = append(batch.Entities, *obj.Entity)
			res.Entities++
		case obj.Relationship != nil:
			batch.Relationships = append(batch.Relationships, *obj.Relationship)
			res.Relationships++
		case obj.Mapping != nil:
			batch.Mappings = append(batch.Mappings, *obj.Mapping)
			res.Mappings++
		}
		if len(batch.Entities)+len(batch.Relationships)+len(batch.Mappings) >= p.BatchSize {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if len(problems) > 0 {
		return nil, &InvalidError{Problems: problems, Objects: objects}
	}
	if objects == 0 && p.Mode == store.Replace {
		return nil, errors.New("upload file holds no objects; refusing to empty the scope (use --mode merge to upload nothing)")
	}
	if err := flush(); err != nil {
		return nil, err
	}
	sr, err := sess.Commit(ctx, store.CommitParams{})
	if err != nil {
		return nil, fmt.Errorf("commit upload into %s: %w", p.Scope, err)
	}
	committed = true
	res.Sync = sr
	return res, nil
}
