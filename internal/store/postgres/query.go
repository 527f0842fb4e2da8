package postgres

import (
	"context"
	"fmt"
	"math/big"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// Query runs a read-only SQL statement with bound arguments in a read-only
// transaction and hands each row's values to fn. Values are int64,
// float64, string, bool or nil; json and jsonb values are decoded with the
// graph typing rules (objects as map[string]any, arrays as []any).
func (db *DB) Query(ctx context.Context, sql string, args []any, fn func(row []any) error) error {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("query: begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return fmt.Errorf("query: read row: %w", err)
		}
		for i, v := range vals {
			if vals[i], err = queryValue(v); err != nil {
				return fmt.Errorf("query: column %s: %w", rows.FieldDescriptions()[i].Name, err)
			}
		}
		if err := fn(vals); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("query: %w", err)
	}
	return nil
}

// queryValue converts a value decoded by pgx to the types Query promises.
func queryValue(v any) (any, error) {
	switch x := v.(type) {
	case nil, string, int64, float64, bool, []any, map[string]any:
		return x, nil
	case int16:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case int:
		return int64(x), nil
	case float32:
		return float64(x), nil
	case []byte:
		return string(x), nil
	case time.Time:
		return x.UnixMilli(), nil
	case pgtype.Numeric:
		return numericValue(x)
	case fmt.Stringer:
		return x.String(), nil
	default:
		return fmt.Sprint(x), nil
	}
}

// numericValue turns a numeric into an int64 when it has no fractional
// digits and fits, else into a float64 (avg() of integers stays a float).
func numericValue(n pgtype.Numeric) (any, error) {
	if !n.Valid {
		return nil, nil
	}
	if !n.NaN && n.InfinityModifier == pgtype.Finite && n.Exp >= 0 && n.Exp < 19 {
		i := new(big.Int).Mul(n.Int, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n.Exp)), nil))
		if i.IsInt64() {
			return i.Int64(), nil
		}
	}
	f, err := n.Float64Value()
	if err != nil {
		return nil, err
	}
	return f.Float64, nil
}
