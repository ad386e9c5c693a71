"""Reports, one pipeline (`service`): load one snapshot, build the attendance report (`attendance`),
build the post-event pack on it (`figures`, `join`, `charts`), render either (`attendance_render`,
`render`, `pdf`)."""
