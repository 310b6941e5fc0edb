package hcloudhost

import "sort"

// sortErrors orders messages so that validation output does not depend on map iteration order.
func sortErrors(errs []error) []error {
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return errs
}
