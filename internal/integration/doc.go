// Package integration is the step engine that turns one run of an
// integration instance into one store sync.
//
// A job is a set of Steps. Steps name the steps they depend on and run as a
// DAG: a step starts when all its dependencies have finished, independent
// steps run in parallel. A step hands entities, relationships and mapped
// relationships to its StepContext, which batches them (merging duplicate
// keys inside a batch; the store merges duplicates across batches) and
// passes the batches to one store.SyncSession through a single writer
// goroutine, so decoding and writing overlap while memory stays bounded by
// the batch size.
//
// Every step ends with a status: success, failed, partial (it ran, but a
// dependency failed or it reported incomplete data) or disabled. The _types
// a step declares are partial for the job unless the step succeeded, so a
// failed or disabled step never causes deletes; a step may also declare
// types that are always partial (findings on an incremental run). When all
// steps are done, the session is committed once with the union of partial
// types; a cancelled job aborts the session and changes nothing.
//
// The instance state (per-dataset high-water marks, the last job and its
// status) is kept in the store under the instance scope. A step proposes a
// new high-water mark with SetHighWaterMark; it is saved only when the step
// succeeded and the commit went through, so a failed step makes the next
// run re-read the same window.
//
// Run is safe to call concurrently for different scopes. StepContext
// methods are safe for use by the goroutines of one step.
package integration
