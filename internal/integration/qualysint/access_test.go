package qualysint

import (
	"context"
	"errors"
	"testing"

	"github.com/qgraph/qgraph/internal/qualys/sim"
)

// TestSyncNamesWhyQualysRefused checks that an expired subscription is
// reported as such, not as refused credentials, and the other way round.
func TestSyncNamesWhyQualysRefused(t *testing.T) {
	tests := []struct {
		name        string
		account     sim.AccountState
		badPassword bool
		want        error
		notWant     error
	}{
		{name: "expired subscription", account: sim.AccountExpired, want: ErrExpired, notWant: ErrCredentials},
		{name: "wrong password", badPassword: true, want: ErrCredentials, notWant: ErrExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := smallSim()
			o.Account = tt.account
			b := newSimBundle(t, o)
			if tt.badPassword {
				b.inst.Qualys.Password = "not-the-password"
			}
			_, err := Sync(context.Background(), SyncOptions{Store: b.st, Instance: b.inst, Now: b.sim.Now})
			if !errors.Is(err, tt.want) || errors.Is(err, tt.notWant) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
		})
	}
}
