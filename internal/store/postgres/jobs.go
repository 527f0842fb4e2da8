package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/qgraph/qgraph/internal/store"
)

// GetState reads the JSON value stored under (scope, name) into v, or
// returns an error wrapping store.ErrNotFound.
func (db *DB) GetState(ctx context.Context, scope, name string, v any) error {
	var raw string
	err := db.pool.QueryRow(ctx, `SELECT value FROM state WHERE scope = $1 AND name = $2`, scope, name).Scan(&raw)
	if isNoRows(err) {
		return fmt.Errorf("get state %s of %s: %w", name, scope, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("get state %s of %s: %w", name, scope, err)
	}
	if err := json.Unmarshal([]byte(raw), v); err != nil {
		return fmt.Errorf("get state %s of %s: decode: %w", name, scope, err)
	}
	return nil
}

// PutState stores v as JSON under (scope, name), replacing any earlier
// value.
func (db *DB) PutState(ctx context.Context, scope, name string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("put state %s of %s: encode: %w", name, scope, err)
	}
	if err := checkText(string(raw)); err != nil {
		return fmt.Errorf("put state %s of %s: value %w", name, scope, err)
	}
	_, err = db.pool.Exec(ctx, `INSERT INTO state (scope, name, value) VALUES ($1, $2, $3)
		ON CONFLICT (scope, name) DO UPDATE SET value = excluded.value`, scope, name, string(raw))
	if err != nil {
		return fmt.Errorf("put state %s of %s: %w", name, scope, err)
	}
	return nil
}

// SaveJob inserts or updates a job record.
func (db *DB) SaveJob(ctx context.Context, j *store.Job) error {
	if j.ID == "" {
		return fmt.Errorf("save job: empty job id")
	}
	report := string(j.Report)
	if report == "" {
		report = "null"
	} else if !json.Valid(j.Report) {
		return fmt.Errorf("save job %s: report is not valid JSON", j.ID)
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO jobs (id, scope, status, started_at, finished_at, report)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (id) DO UPDATE SET scope = excluded.scope, status = excluded.status,
			started_at = excluded.started_at, finished_at = excluded.finished_at, report = excluded.report`,
		j.ID, j.Scope, j.Status, millis(j.StartedAt), millis(j.FinishedAt), report)
	if err != nil {
		return fmt.Errorf("save job %s: %w", j.ID, err)
	}
	return nil
}

const jobColumns = `id, scope, status, started_at, finished_at, report`

// scanJob reads one row of jobColumns.
func scanJob(row interface{ Scan(...any) error }, j *store.Job) error {
	var started, finished int64
	var report string
	if err := row.Scan(&j.ID, &j.Scope, &j.Status, &started, &finished, &report); err != nil {
		return err
	}
	j.StartedAt, j.FinishedAt = fromMillis(started), fromMillis(finished)
	if report != "null" {
		j.Report = json.RawMessage(report)
	}
	return nil
}

// GetJob returns one job, or an error wrapping store.ErrNotFound.
func (db *DB) GetJob(ctx context.Context, id string) (*store.Job, error) {
	var j store.Job
	err := scanJob(db.pool.QueryRow(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = $1`, id), &j)
	if isNoRows(err) {
		return nil, fmt.Errorf("get job %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get job %s: %w", id, err)
	}
	return &j, nil
}

// ListJobs returns jobs, newest first.
func (db *DB) ListJobs(ctx context.Context, f store.JobFilter) ([]store.Job, error) {
	var w whereBuilder
	if f.Scope != "" {
		w.add("scope = " + w.arg(f.Scope))
	}
	sql := `SELECT ` + jobColumns + ` FROM jobs` + w.sql() + ` ORDER BY started_at DESC, id DESC`
	if f.Limit > 0 {
		sql += " LIMIT " + w.arg(f.Limit)
	}
	rows, err := db.pool.Query(ctx, sql, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	defer rows.Close()
	var out []store.Job
	for rows.Next() {
		var j store.Job
		if err := scanJob(rows, &j); err != nil {
			return nil, fmt.Errorf("list jobs: %w", err)
		}
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return out, nil
}
