/* Tests of the gradient-based estimators (el2n, grand, tracin, selfinf,
 * influence). */
TEST(el2n_grand_direct_loop)
TEST(tracin_checkpoint_loop)
TEST(influence_cg_dense)
TEST(influence_leave_one_out)
TEST(influence_hessian_sample)
TEST(score_grad_deterministic)
TEST(score_grad_finds_noise)
TEST(score_grad_bad_input)
