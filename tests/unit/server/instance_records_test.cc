// The VM-to-vTPM table: the narrow identity an attestation reads, by instance and
// by VM, before and after provisioning recorded the EKs; and the same identity as
// the attestation path remembers it.
#include "server/app/instance_records.h"

#include <gtest/gtest.h>

#include <memory>

#include "schema/schema.h"
#include "server/app/instance_identities.h"

namespace vtpmd::app {
namespace {

class InstanceRecordsTest : public ::testing::Test {
 protected:
  InstanceRecordsTest() : store_(Store::OpenInMemory(schema::Migrations()).value()), records_(*store_) {
    InstanceRecord record;
    record.id = "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    record.vm_id = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    record.certification_method = "local-ca";
    record.ek_algorithms = {"rsa2048", "ecc-nist-p256"};
    record.state_key_sealed = Bytes{1, 2, 3};
    record.created_at = 1700000000;
    EXPECT_TRUE(records_.Insert(record).ok());
  }

  static EndorsementKeyRecord Key(std::string algorithm, std::uint32_t handle, std::uint8_t name_byte) {
    return {.algorithm = std::move(algorithm),
            .handle = handle,
            .nv_index = 0x01c00002,
            .public_area = Bytes{0, 1},
            .name = Bytes{0, 11, name_byte},
            .certificate_serial = "01"};
  }

  std::unique_ptr<Store> store_;
  InstanceRecords records_;
};

TEST_F(InstanceRecordsTest, TheIdentityNamesTheVmAndTheFirstEkByHandle) {
  auto before = records_.Identity("6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
  ASSERT_TRUE(before.ok()) << before.error().message();
  EXPECT_EQ(before->vm_id, "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
  EXPECT_TRUE(before->first_ek_name.empty()) << "no EKs before provisioning";

  ASSERT_TRUE(records_
                  .CompleteProvisioning("6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                                        {Key("ecc-nist-p256", 0x81010002, 2), Key("rsa2048", 0x81010001, 1)})
                  .ok());
  auto by_vm = records_.IdentityByVm("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
  ASSERT_TRUE(by_vm.ok()) << by_vm.error().message();
  EXPECT_EQ(by_vm->id, "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
  EXPECT_EQ(by_vm->first_ek_name, (Bytes{0, 11, 1})) << "the RSA EK, at the lower handle";
  EXPECT_EQ(by_vm->first_ek_name, records_.Get(by_vm->id)->endorsement_keys.front().name);

  EXPECT_EQ(records_.Identity("00000000-0000-4000-8000-000000000000").error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(records_.IdentityByVm("6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d").error().code(), ErrorCode::kNotFound)
      << "an instance id is not a VM id";
}

// Remembered identities follow every change an identity can see: the EKs recorded
// at provisioning, the instance deleted, another created for the same VM.
TEST_F(InstanceRecordsTest, RememberedIdentitiesFollowProvisioningAndDeletion) {
  constexpr std::string_view kId = "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
  constexpr std::string_view kVm = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
  InstanceIdentities identities(*store_);
  auto before = identities.ById(kId);
  ASSERT_TRUE(before.ok()) << before.error().message();
  EXPECT_TRUE(before->first_ek_name.empty());
  EXPECT_TRUE(identities.ByVm(kVm)->first_ek_name.empty());

  ASSERT_TRUE(records_.CompleteProvisioning(kId, {Key("rsa2048", 0x81010001, 1)}).ok());
  EXPECT_EQ(identities.ById(kId)->first_ek_name, (Bytes{0, 11, 1}));
  EXPECT_EQ(identities.ByVm(kVm)->first_ek_name, (Bytes{0, 11, 1}));
  EXPECT_EQ(identities.ById(kId)->vm_id, kVm) << "read again, now from memory";

  ASSERT_TRUE(records_.Delete(kId).ok());
  EXPECT_EQ(identities.ById(kId).error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(identities.ByVm(kVm).error().code(), ErrorCode::kNotFound);

  InstanceRecord successor;
  successor.id = "7f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
  successor.vm_id = std::string(kVm);
  successor.certification_method = "local-ca";
  successor.ek_algorithms = {"rsa2048"};
  successor.state_key_sealed = Bytes{4};
  successor.created_at = 1700000001;
  ASSERT_TRUE(records_.Insert(successor).ok());
  EXPECT_EQ(identities.ByVm(kVm)->id, successor.id);
}

}  // namespace
}  // namespace vtpmd::app
