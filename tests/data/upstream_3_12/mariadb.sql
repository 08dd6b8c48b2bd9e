/*M!999999\- enable the sandbox mode */ 

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;
/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;
/*!40101 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;
DROP TABLE IF EXISTS `auth_group`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `auth_group` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `name` varchar(150) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

DROP TABLE IF EXISTS `auth_group_permissions`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `auth_group_permissions` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `group_id` int(11) NOT NULL,
  `permission_id` int(11) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `auth_group_permissions_group_id_permission_id_0cd325b0_uniq` (`group_id`,`permission_id`),
  KEY `auth_group_permissio_permission_id_84c5c92e_fk_auth_perm` (`permission_id`),
  CONSTRAINT `auth_group_permissio_permission_id_84c5c92e_fk_auth_perm` FOREIGN KEY (`permission_id`) REFERENCES `auth_permission` (`id`),
  CONSTRAINT `auth_group_permissions_group_id_b120cbf9_fk_auth_group_id` FOREIGN KEY (`group_id`) REFERENCES `auth_group` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

DROP TABLE IF EXISTS `auth_permission`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `auth_permission` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `name` varchar(255) NOT NULL,
  `content_type_id` int(11) NOT NULL,
  `codename` varchar(100) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `auth_permission_content_type_id_codename_01ab375a_uniq` (`content_type_id`,`codename`),
  CONSTRAINT `auth_permission_content_type_id_2f476e4b_fk_django_co` FOREIGN KEY (`content_type_id`) REFERENCES `django_content_type` (`id`)
) ENGINE=InnoDB AUTO_INCREMENT=33 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

INSERT INTO `auth_permission` VALUES (1,'Can add content type',1,'add_contenttype');
INSERT INTO `auth_permission` VALUES (2,'Can change content type',1,'change_contenttype');
INSERT INTO `auth_permission` VALUES (3,'Can delete content type',1,'delete_contenttype');
INSERT INTO `auth_permission` VALUES (4,'Can view content type',1,'view_contenttype');
INSERT INTO `auth_permission` VALUES (5,'Can add permission',2,'add_permission');
INSERT INTO `auth_permission` VALUES (6,'Can change permission',2,'change_permission');
INSERT INTO `auth_permission` VALUES (7,'Can delete permission',2,'delete_permission');
INSERT INTO `auth_permission` VALUES (8,'Can view permission',2,'view_permission');
INSERT INTO `auth_permission` VALUES (9,'Can add group',3,'add_group');
INSERT INTO `auth_permission` VALUES (10,'Can change group',3,'change_group');
INSERT INTO `auth_permission` VALUES (11,'Can delete group',3,'delete_group');
INSERT INTO `auth_permission` VALUES (12,'Can view group',3,'view_group');
INSERT INTO `auth_permission` VALUES (13,'Can add user',4,'add_user');
INSERT INTO `auth_permission` VALUES (14,'Can change user',4,'change_user');
INSERT INTO `auth_permission` VALUES (15,'Can delete user',4,'delete_user');
INSERT INTO `auth_permission` VALUES (16,'Can view user',4,'view_user');
INSERT INTO `auth_permission` VALUES (17,'Can add Attachment',5,'add_attachment');
INSERT INTO `auth_permission` VALUES (18,'Can change Attachment',5,'change_attachment');
INSERT INTO `auth_permission` VALUES (19,'Can delete Attachment',5,'delete_attachment');
INSERT INTO `auth_permission` VALUES (20,'Can view Attachment',5,'view_attachment');
INSERT INTO `auth_permission` VALUES (21,'Can add Email',6,'add_email');
INSERT INTO `auth_permission` VALUES (22,'Can change Email',6,'change_email');
INSERT INTO `auth_permission` VALUES (23,'Can delete Email',6,'delete_email');
INSERT INTO `auth_permission` VALUES (24,'Can view Email',6,'view_email');
INSERT INTO `auth_permission` VALUES (25,'Can add Email Template',7,'add_emailtemplate');
INSERT INTO `auth_permission` VALUES (26,'Can change Email Template',7,'change_emailtemplate');
INSERT INTO `auth_permission` VALUES (27,'Can delete Email Template',7,'delete_emailtemplate');
INSERT INTO `auth_permission` VALUES (28,'Can view Email Template',7,'view_emailtemplate');
INSERT INTO `auth_permission` VALUES (29,'Can add Log',8,'add_log');
INSERT INTO `auth_permission` VALUES (30,'Can change Log',8,'change_log');
INSERT INTO `auth_permission` VALUES (31,'Can delete Log',8,'delete_log');
INSERT INTO `auth_permission` VALUES (32,'Can view Log',8,'view_log');
DROP TABLE IF EXISTS `auth_user`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `auth_user` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `password` varchar(128) NOT NULL,
  `last_login` datetime(6) DEFAULT NULL,
  `is_superuser` tinyint(1) NOT NULL,
  `username` varchar(150) NOT NULL,
  `first_name` varchar(150) NOT NULL,
  `last_name` varchar(150) NOT NULL,
  `email` varchar(254) NOT NULL,
  `is_staff` tinyint(1) NOT NULL,
  `is_active` tinyint(1) NOT NULL,
  `date_joined` datetime(6) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `username` (`username`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

DROP TABLE IF EXISTS `auth_user_groups`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `auth_user_groups` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `user_id` int(11) NOT NULL,
  `group_id` int(11) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `auth_user_groups_user_id_group_id_94350c0c_uniq` (`user_id`,`group_id`),
  KEY `auth_user_groups_group_id_97559544_fk_auth_group_id` (`group_id`),
  CONSTRAINT `auth_user_groups_group_id_97559544_fk_auth_group_id` FOREIGN KEY (`group_id`) REFERENCES `auth_group` (`id`),
  CONSTRAINT `auth_user_groups_user_id_6a12ed8b_fk_auth_user_id` FOREIGN KEY (`user_id`) REFERENCES `auth_user` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

DROP TABLE IF EXISTS `auth_user_user_permissions`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `auth_user_user_permissions` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `user_id` int(11) NOT NULL,
  `permission_id` int(11) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `auth_user_user_permissions_user_id_permission_id_14a6b632_uniq` (`user_id`,`permission_id`),
  KEY `auth_user_user_permi_permission_id_1fbb5f2c_fk_auth_perm` (`permission_id`),
  CONSTRAINT `auth_user_user_permi_permission_id_1fbb5f2c_fk_auth_perm` FOREIGN KEY (`permission_id`) REFERENCES `auth_permission` (`id`),
  CONSTRAINT `auth_user_user_permissions_user_id_a95ead1b_fk_auth_user_id` FOREIGN KEY (`user_id`) REFERENCES `auth_user` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

DROP TABLE IF EXISTS `django_content_type`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `django_content_type` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `app_label` varchar(100) NOT NULL,
  `model` varchar(100) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `django_content_type_app_label_model_76bd3d3b_uniq` (`app_label`,`model`)
) ENGINE=InnoDB AUTO_INCREMENT=9 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

INSERT INTO `django_content_type` VALUES (3,'auth','group');
INSERT INTO `django_content_type` VALUES (2,'auth','permission');
INSERT INTO `django_content_type` VALUES (4,'auth','user');
INSERT INTO `django_content_type` VALUES (1,'contenttypes','contenttype');
INSERT INTO `django_content_type` VALUES (5,'post_office','attachment');
INSERT INTO `django_content_type` VALUES (6,'post_office','email');
INSERT INTO `django_content_type` VALUES (7,'post_office','emailtemplate');
INSERT INTO `django_content_type` VALUES (8,'post_office','log');
DROP TABLE IF EXISTS `django_migrations`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `django_migrations` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `app` varchar(255) NOT NULL,
  `name` varchar(255) NOT NULL,
  `applied` datetime(6) NOT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB AUTO_INCREMENT=29 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

INSERT INTO `django_migrations` VALUES (1,'contenttypes','0001_initial','2024-01-01 00:00:00.000000');
INSERT INTO `django_migrations` VALUES (2,'contenttypes','0002_remove_content_type_name','2024-01-01 00:00:00.000000');
INSERT INTO `django_migrations` VALUES (3,'auth','0001_initial','2024-01-01 00:00:00.000000');
INSERT INTO `django_migrations` VALUES (4,'auth','0002_alter_permission_name_max_length','2024-01-01 00:00:00.000000');
INSERT INTO `django_migrations` VALUES (5,'auth','0003_alter_user_email_max_length','2024-01-01 00:00:00.000000');
INSERT INTO `django_migrations` VALUES (6,'auth','0004_alter_user_username_opts','2024-01-01 00:00:00.000000');
INSERT INTO `django_migrations` VALUES (7,'auth','0005_alter_user_last_login_null','2024-01-01 00:00:00.000000');
INSERT INTO `django_migrations` VALUES (8,'auth','0006_require_contenttypes_0002','2024-01-01 00:00:00.000000');
INSERT INTO `django_migrations` VALUES (9,'auth','0007_alter_validators_add_error_messages','2024-01-01 00:00:00.000000');
INSERT INTO `django_migrations` VALUES (10,'auth','0008_alter_user_username_max_length','2024-01-01 00:00:00.000000');
INSERT INTO `django_migrations` VALUES (11,'auth','0009_alter_user_last_name_max_length','2024-01-01 00:00:00.000000');
INSERT INTO `django_migrations` VALUES (12,'auth','0010_alter_group_name_max_length','2024-01-01 00:00:00.000000');
INSERT INTO `django_migrations` VALUES (13,'auth','0011_update_proxy_permissions','2024-01-01 00:00:00.000000');
INSERT INTO `django_migrations` VALUES (14,'auth','0012_alter_user_first_name_max_length','2024-01-01 00:00:00.000000');
INSERT INTO `django_migrations` VALUES (15,'post_office','0001_initial','2024-01-01 00:00:00.000000');
INSERT INTO `django_migrations` VALUES (16,'post_office','0002_add_i18n_and_backend_alias','2024-01-01 00:00:00.000000');
INSERT INTO `django_migrations` VALUES (17,'post_office','0003_longer_subject','2024-01-01 00:00:00.000000');
INSERT INTO `django_migrations` VALUES (18,'post_office','0004_auto_20160607_0901','2024-01-01 00:00:00.000000');
INSERT INTO `django_migrations` VALUES (19,'post_office','0005_auto_20170515_0013','2024-01-01 00:00:00.000000');
INSERT INTO `django_migrations` VALUES (20,'post_office','0006_attachment_mimetype','2024-01-01 00:00:00.000000');
INSERT INTO `django_migrations` VALUES (21,'post_office','0007_auto_20170731_1342','2024-01-01 00:00:00.000000');
INSERT INTO `django_migrations` VALUES (22,'post_office','0008_attachment_headers','2024-01-01 00:00:00.000000');
INSERT INTO `django_migrations` VALUES (23,'post_office','0009_requeued_mode','2024-01-01 00:00:00.000000');
INSERT INTO `django_migrations` VALUES (24,'post_office','0010_message_id','2024-01-01 00:00:00.000000');
INSERT INTO `django_migrations` VALUES (25,'post_office','0011_models_help_text','2024-01-01 00:00:00.000000');
INSERT INTO `django_migrations` VALUES (26,'post_office','0012_alter_attachment_file_storage','2024-01-01 00:00:00.000000');
INSERT INTO `django_migrations` VALUES (27,'post_office','0013_email_recipient_delivery_status_alter_log_status','2024-01-01 00:00:00.000000');
INSERT INTO `django_migrations` VALUES (28,'post_office','0014_alter_email_recipient_delivery_status_and_more','2024-01-01 00:00:00.000000');
DROP TABLE IF EXISTS `post_office_attachment`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `post_office_attachment` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `file` varchar(100) NOT NULL,
  `name` varchar(255) NOT NULL,
  `mimetype` varchar(255) NOT NULL,
  `headers` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`headers`)),
  PRIMARY KEY (`id`)
) ENGINE=InnoDB AUTO_INCREMENT=3 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

INSERT INTO `post_office_attachment` VALUES (1,'post_office_attachments/2024/01/01/readme.txt','readme.txt','text/plain',NULL);
INSERT INTO `post_office_attachment` VALUES (2,'post_office_attachments/2024/01/01/logo.png','logo.png','image/png','{\"Content-ID\": \"<logo>\"}');
DROP TABLE IF EXISTS `post_office_attachment_emails`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `post_office_attachment_emails` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `attachment_id` int(11) NOT NULL,
  `email_id` int(11) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `post_office_attachment_e_attachment_id_email_id_8e046917_uniq` (`attachment_id`,`email_id`),
  KEY `post_office_attachme_email_id_96875fd9_fk_post_offi` (`email_id`),
  CONSTRAINT `post_office_attachme_attachment_id_6136fd9a_fk_post_offi` FOREIGN KEY (`attachment_id`) REFERENCES `post_office_attachment` (`id`),
  CONSTRAINT `post_office_attachme_email_id_96875fd9_fk_post_offi` FOREIGN KEY (`email_id`) REFERENCES `post_office_email` (`id`)
) ENGINE=InnoDB AUTO_INCREMENT=4 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

INSERT INTO `post_office_attachment_emails` VALUES (2,1,5);
INSERT INTO `post_office_attachment_emails` VALUES (1,1,10);
INSERT INTO `post_office_attachment_emails` VALUES (3,2,10);
DROP TABLE IF EXISTS `post_office_email`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `post_office_email` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `from_email` varchar(254) NOT NULL,
  `to` longtext NOT NULL,
  `cc` longtext NOT NULL,
  `bcc` longtext NOT NULL,
  `subject` varchar(989) NOT NULL,
  `message` longtext NOT NULL,
  `html_message` longtext NOT NULL,
  `status` smallint(5) unsigned DEFAULT NULL CHECK (`status` >= 0),
  `priority` smallint(5) unsigned DEFAULT NULL CHECK (`priority` >= 0),
  `created` datetime(6) NOT NULL,
  `last_updated` datetime(6) NOT NULL,
  `scheduled_time` datetime(6) DEFAULT NULL,
  `headers` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`headers`)),
  `context` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`context`)),
  `template_id` int(11) DEFAULT NULL,
  `backend_alias` varchar(64) NOT NULL,
  `number_of_retries` int(10) unsigned DEFAULT NULL CHECK (`number_of_retries` >= 0),
  `expires_at` datetime(6) DEFAULT NULL,
  `message_id` varchar(255) DEFAULT NULL,
  `recipient_delivery_status` smallint(5) unsigned DEFAULT NULL CHECK (`recipient_delivery_status` >= 0),
  PRIMARY KEY (`id`),
  KEY `post_office_email_template_id_417da7da_fk_post_offi` (`template_id`),
  KEY `post_office_email_status_013a896c` (`status`),
  KEY `post_office_email_created_1306952f` (`created`),
  KEY `post_office_email_last_updated_0ffcec35` (`last_updated`),
  KEY `post_office_email_scheduled_time_3869ebec` (`scheduled_time`),
  CONSTRAINT `post_office_email_template_id_417da7da_fk_post_offi` FOREIGN KEY (`template_id`) REFERENCES `post_office_emailtemplate` (`id`)
) ENGINE=InnoDB AUTO_INCREMENT=13 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

INSERT INTO `post_office_email` VALUES (1,'Sender <from@example.com>','alice@example.com','','','Sent email','Body 1','<p>Body 1</p>',0,1,'2024-01-02 10:01:00.000000','2024-01-02 11:01:00.000000',NULL,NULL,NULL,NULL,'',NULL,NULL,'<170000000001.1.1@example.com>',20);
INSERT INTO `post_office_email` VALUES (2,'Sender <from@example.com>','bob@example.com','','','Failed email','Body 2','',1,2,'2024-01-02 10:02:00.000000','2024-01-02 11:02:00.000000',NULL,NULL,NULL,NULL,'',2,NULL,NULL,NULL);
INSERT INTO `post_office_email` VALUES (3,'Sender <from@example.com>','carol@example.com','','','Scheduled email','Body 3','',2,0,'2024-01-02 10:03:00.000000','2024-01-02 11:03:00.000000','2099-01-01 08:00:00.000000',NULL,NULL,NULL,'',NULL,NULL,NULL,NULL);
INSERT INTO `post_office_email` VALUES (4,'Sender <from@example.com>','dave@example.com','','','Requeued email','Body 4','',3,1,'2024-01-02 10:04:00.000000','2024-01-02 11:04:00.000000',NULL,NULL,NULL,NULL,'',1,'2099-12-31 23:59:00.000000',NULL,NULL);
INSERT INTO `post_office_email` VALUES (5,'Sender <from@example.com>','erin@example.com, frank@example.com','cc1@example.com, cc2@example.com','bcc@example.com','With headers','Body 5','',2,1,'2024-01-02 10:05:00.000000','2024-01-02 11:05:00.000000',NULL,'{\"Reply-To\": \"reply@example.com\"}',NULL,NULL,'',NULL,NULL,NULL,NULL);
INSERT INTO `post_office_email` VALUES (6,'Sender <from@example.com>','alice@example.com','','','','','',2,1,'2024-01-02 10:06:00.000000','2024-01-02 11:06:00.000000',NULL,NULL,'{\"name\": \"Alice\"}',1,'',NULL,NULL,NULL,NULL);
INSERT INTO `post_office_email` VALUES (7,'Sender <from@example.com>','grace@example.com','','','Other backend','Body 7','',0,0,'2024-01-02 10:07:00.000000','2024-01-02 11:07:00.000000',NULL,NULL,NULL,NULL,'other',NULL,NULL,'<170000000007.7.7@example.com>',NULL);
INSERT INTO `post_office_email` VALUES (8,'Sender <from@example.com>','heidi@example.com','cc3@example.com','','Selamat datang Heidi','Hai Heidi, selamat datang!','<p>Hai <strong>Heidi</strong>, selamat datang!</p>',0,2,'2024-01-02 10:08:00.000000','2024-01-02 11:08:00.000000',NULL,NULL,'{\"name\": \"Heidi\"}',2,'',NULL,NULL,NULL,NULL);
INSERT INTO `post_office_email` VALUES (9,'Sender <from@example.com>','ivan@example.com','','','Plain subject','Plain content','',1,0,'2024-01-02 10:09:00.000000','2024-01-02 11:09:00.000000',NULL,NULL,NULL,3,'',0,NULL,NULL,NULL);
INSERT INTO `post_office_email` VALUES (10,'Sender <from@example.com>','judy@example.com','','','With attachments','Body 10','<p><img src=\"cid:logo\"></p>',0,1,'2024-01-02 10:10:00.000000','2024-01-02 11:10:00.000000',NULL,NULL,NULL,NULL,'',NULL,NULL,NULL,NULL);
INSERT INTO `post_office_email` VALUES (11,'Sender <from@example.com>','mallory@example.com','','audit@example.com','High priority queued','Body 11','',2,2,'2024-01-02 10:11:00.000000','2024-01-02 11:11:00.000000',NULL,NULL,NULL,NULL,'',NULL,NULL,NULL,NULL);
INSERT INTO `post_office_email` VALUES (12,'from@example.com','niaj@example.com','','','Ünïcode subject ✓','Body 12 – ünïcode','',NULL,NULL,'2024-01-02 10:12:00.000000','2024-01-02 11:12:00.000000',NULL,NULL,NULL,NULL,'',NULL,NULL,NULL,NULL);
DROP TABLE IF EXISTS `post_office_emailtemplate`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `post_office_emailtemplate` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `name` varchar(255) NOT NULL,
  `description` longtext NOT NULL,
  `subject` varchar(255) NOT NULL,
  `content` longtext NOT NULL,
  `html_content` longtext NOT NULL,
  `created` datetime(6) NOT NULL,
  `last_updated` datetime(6) NOT NULL,
  `default_template_id` int(11) DEFAULT NULL,
  `language` varchar(12) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `post_office_emailtemplat_name_language_default_te_4023e3e4_uniq` (`name`,`language`,`default_template_id`),
  KEY `post_office_emailtem_default_template_id_2ac2f889_fk_post_offi` (`default_template_id`),
  CONSTRAINT `post_office_emailtem_default_template_id_2ac2f889_fk_post_offi` FOREIGN KEY (`default_template_id`) REFERENCES `post_office_emailtemplate` (`id`)
) ENGINE=InnoDB AUTO_INCREMENT=4 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

INSERT INTO `post_office_emailtemplate` VALUES (1,'welcome','Welcome email','Welcome {{ name }}','Hi {{ name }}, welcome aboard!','<p>Hi <strong>{{ name }}</strong>, welcome aboard!</p>','2024-01-01 09:00:00.000000','2024-01-01 09:05:00.000000',NULL,'');
INSERT INTO `post_office_emailtemplate` VALUES (2,'welcome','','Selamat datang {{ name }}','Hai {{ name }}, selamat datang!','<p>Hai <strong>{{ name }}</strong>, selamat datang!</p>','2024-01-01 09:01:00.000000','2024-01-01 09:06:00.000000',1,'id');
INSERT INTO `post_office_emailtemplate` VALUES (3,'plain','Plain template without translations','Plain subject','Plain content','','2024-01-01 09:02:00.000000','2024-01-01 09:07:00.000000',NULL,'');
DROP TABLE IF EXISTS `post_office_log`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `post_office_log` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `date` datetime(6) NOT NULL,
  `status` smallint(5) unsigned NOT NULL CHECK (`status` >= 0),
  `exception_type` varchar(255) NOT NULL,
  `message` longtext NOT NULL,
  `email_id` int(11) NOT NULL,
  PRIMARY KEY (`id`),
  KEY `post_office_log_email_id_d42c8808_fk_post_office_email_id` (`email_id`),
  CONSTRAINT `post_office_log_email_id_d42c8808_fk_post_office_email_id` FOREIGN KEY (`email_id`) REFERENCES `post_office_email` (`id`)
) ENGINE=InnoDB AUTO_INCREMENT=9 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

INSERT INTO `post_office_log` VALUES (1,'2024-01-03 12:01:00.000000',0,'','Sent',1);
INSERT INTO `post_office_log` VALUES (2,'2024-01-03 12:02:00.000000',1,'SMTPDataError','(550, b\"5.7.1 Message rejected\")',2);
INSERT INTO `post_office_log` VALUES (3,'2024-01-03 12:03:00.000000',1,'SMTPDataError','(554, b\"Transaction failed\")',2);
INSERT INTO `post_office_log` VALUES (4,'2024-01-03 12:04:00.000000',0,'','Sent',7);
INSERT INTO `post_office_log` VALUES (5,'2024-01-03 12:05:00.000000',0,'','Sent',8);
INSERT INTO `post_office_log` VALUES (6,'2024-01-03 12:06:00.000000',1,'SMTPDataError','(421, b\"Service not available\")',9);
INSERT INTO `post_office_log` VALUES (7,'2024-01-03 12:07:00.000000',0,'','Sent',10);
INSERT INTO `post_office_log` VALUES (8,'2024-01-03 12:08:00.000000',20,'','Delivered',1);
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;
/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;
/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;
/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;

