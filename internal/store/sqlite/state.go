package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/qgraph/qgraph/internal/store"
)

// GetState reads the JSON value stored under (scope, name) into v, or
// returns store.ErrNotFound.
func (db *DB) GetState(ctx context.Context, scope, name string, v any) error {
	var raw string
	err := db.reader.QueryRowContext(ctx, `SELECT value FROM state WHERE scope = ? AND name = ?`, scope, name).Scan(&raw)
	if isNoRows(err) {
		return fmt.Errorf("get state %s of %s: %w", name, scope, store.ErrNotFound)
	}
	if err != nil {
		return db.wrap(fmt.Sprintf("get state %s of %s", name, scope), err)
	}
	if err := json.Unmarshal([]byte(raw), v); err != nil {
		return fmt.Errorf("get state %s of %s: decode: %w", name, scope, err)
	}
	return nil
}

// PutState stores v as JSON under (scope, name).
func (db *DB) PutState(ctx context.Context, scope, name string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("put state %s of %s: encode: %w", name, scope, err)
	}
	db.writeMu.Lock()
	defer db.writeMu.Unlock()
	_, err = db.writer.ExecContext(ctx, `INSERT INTO state (scope, name, value) VALUES (?, ?, ?)
		ON CONFLICT (scope, name) DO UPDATE SET value = excluded.value`, scope, name, string(raw))
	return db.wrap(fmt.Sprintf("put state %s of %s", name, scope), err)
}

// SaveJob inserts or updates a job record.
func (db *DB) SaveJob(ctx context.Context, j *store.Job) error {
	if j.ID == "" {
		return fmt.Errorf("save job: empty job id")
	}
	var report any
	if len(j.Report) > 0 {
		if !json.Valid(j.Report) {
			return fmt.Errorf("save job %s: report is not valid JSON", j.ID)
		}
		report = string(j.Report)
	}
	db.writeMu.Lock()
	defer db.writeMu.Unlock()
	_, err := db.writer.ExecContext(ctx, `INSERT INTO jobs (id, scope, status, started_at, finished_at, report)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET scope = excluded.scope, status = excluded.status,
			started_at = excluded.started_at, finished_at = excluded.finished_at, report = excluded.report`,
		j.ID, j.Scope, j.Status, millis(j.StartedAt), millis(j.FinishedAt), report)
	return db.wrap("save job "+j.ID, err)
}

const jobSelect = `SELECT id, scope, status, started_at, finished_at, report FROM jobs`

func scanJob(s scanner) (store.Job, error) {
	var (
		j              store.Job
		started, ended int64
		report         *string
	)
	if err := s.Scan(&j.ID, &j.Scope, &j.Status, &started, &ended, &report); err != nil {
		return j, err
	}
	j.StartedAt, j.FinishedAt = fromMillis(started), fromMillis(ended)
	if report != nil {
		j.Report = json.RawMessage(*report)
	}
	return j, nil
}

// GetJob returns one job, or store.ErrNotFound.
func (db *DB) GetJob(ctx context.Context, id string) (*store.Job, error) {
	j, err := scanJob(db.reader.QueryRowContext(ctx, jobSelect+` WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, fmt.Errorf("get job %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, db.wrap("get job "+id, err)
	}
	return &j, nil
}

// ListJobs returns jobs, newest first.
func (db *DB) ListJobs(ctx context.Context, f store.JobFilter) ([]store.Job, error) {
	q := jobSelect
	var args []any
	if f.Scope != "" {
		q += " WHERE scope = ?"
		args = append(args, f.Scope)
	}
	q += " ORDER BY started_at DESC, id DESC"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := db.reader.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.wrap("list jobs", err)
	}
	defer rows.Close()
	var out []store.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, db.wrap("list jobs", err)
		}
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		return nil, db.wrap("list jobs", err)
	}
	return out, nil
}
