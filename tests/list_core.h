/* Tests of src/core. */
TEST(status_names)
TEST(error_format)
TEST(rng_reproducible)
TEST(rng_below_uniform)
TEST(hash_distinct)
TEST(csr_build_append)
TEST(outfile_atomic)
TEST(parallel_runs_all)
