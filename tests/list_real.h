/* End-to-end tests on the real data sets in ../shared/data: read, train,
 * evaluate (skipped with a message when the folder is absent). */
TEST(real_criteo_subset)
TEST(real_avazu_subset)
TEST(real_frappe)
TEST(real_xlearn_criteo)
TEST(real_lightgbm_rank)
TEST(real_letor_mq2008)
TEST(real_instacart_subset)
