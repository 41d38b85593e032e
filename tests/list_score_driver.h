/* Tests of the heft_score driver and the loss, confidence, margin, aum and
 * forget estimators (tests/test_score_driver.c), and heft_train's
 * on_epoch callback. */
TEST(score_loss_confidence_margin_oracle)
TEST(score_given_probs)
TEST(score_aum_forget_checkpoints)
TEST(score_trajectory_given_model)
TEST(score_given_checkpoints)
TEST(score_method_list)
TEST(score_unknown_method)
TEST(score_opts_check)
TEST(score_needs_valid)
TEST(score_deterministic)
TEST(score_noise_auroc)
TEST(score_write_tsv)
TEST(score_write_npy)
TEST(score_group_table)
TEST(train_on_epoch)
